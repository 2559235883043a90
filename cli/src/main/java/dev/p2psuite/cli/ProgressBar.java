package dev.p2psuite.cli;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr for put and get: bytes, percentage, rate over the last seconds, and for
 * downloads the peers sending and pieces verified. Redrawn in place at most every 100 ms; a disabled bar (not
 * a terminal, --quiet) draws nothing.
 */
final class ProgressBar {

    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long RATE_WINDOW_NANOS = 3_000_000_000L;
    private static final int BAR_WIDTH = 12;

    private final PrintWriter err;
    private final String label;
    private final long total;
    private final LongSupplier nanoTime;
    private final boolean enabled;
    private final int columns;
    private final long startNanos;
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();
    private long lastDrawNanos = Long.MIN_VALUE;
    private int lastWidth;
    private long transferred;
    private long verified;
    private int peers = -1;
    private int piecesDone = -1;
    private int piecesTotal = -1;

    /** {@code columns}: the terminal's width; the line is cut to fit so that it never wraps. */
    ProgressBar(PrintWriter err, String label, long total, LongSupplier nanoTime, boolean enabled, int columns) {
        this.err = err;
        this.columns = Math.max(20, columns);
        this.label = label;
        this.total = total;
        this.nanoTime = nanoTime;
        this.enabled = enabled;
        this.startNanos = nanoTime.getAsLong();
        samples.add(new long[] {startNanos, 0});
    }

    boolean enabled() {
        return enabled;
    }

    /**
     * Download progress from the node's Progress messages. The node verifies pieces in any order but streams
     * bytes in order, so the bar shows whichever is further: the pieces verified (scaled to the range) or the
     * bytes received.
     */
    void downloaded(long bytesDone, long bytesTotal, int peers, int piecesDone, int piecesTotal) {
        this.peers = peers;
        this.piecesDone = piecesDone;
        this.piecesTotal = piecesTotal;
        if (bytesTotal > 0 && total > 0) {
            this.verified = Math.min(total, (long) ((double) bytesDone / bytesTotal * total));
        }
        redraw(false);
    }

    /** Bytes transferred so far. */
    void update(long transferred) {
        this.transferred = transferred;
        redraw(false);
    }

    /** Erases the bar (the summary line follows). */
    void finish() {
        if (enabled && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
            lastWidth = 0;
        }
    }

    private void redraw(boolean force) {
        if (!enabled) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (!force && lastDrawNanos != Long.MIN_VALUE && now - lastDrawNanos < REDRAW_NANOS) {
            return;
        }
        lastDrawNanos = now;
        long done = Math.max(transferred, verified);
        samples.addLast(new long[] {now, done});
        while (samples.size() > 2 && now - samples.peekFirst()[0] > RATE_WINDOW_NANOS) {
            samples.removeFirst();
        }
        long[] first = samples.peekFirst();
        double seconds = (now - first[0]) / 1e9;
        double rate = seconds > 0 ? (done - first[1]) / seconds : 0;
        String line = render(label, done, total, rate, peers, piecesDone, piecesTotal);
        if (line.length() > columns - 1) {
            line = line.substring(0, columns - 1);
        }
        int pad = Math.max(0, lastWidth - line.length());
        err.print("\r" + line + " ".repeat(pad));
        err.flush();
        lastWidth = line.length();
    }

    /** One line: {@code get [####>-------]  37%  3.00/8.00 MiB  12.4 MiB/s  2 peers  12/32 pieces}. */
    static String render(String label, long done, long total, double rate, int peers, int piecesDone, int piecesTotal) {
        StringBuilder line = new StringBuilder(label).append(" [");
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.floor(fraction * BAR_WIDTH);
            line.append("#".repeat(filled));
            if (filled < BAR_WIDTH) {
                line.append('>').append("-".repeat(BAR_WIDTH - filled - 1));
            }
            line.append(String.format(Locale.ROOT, "] %3d%%  ", (int) Math.floor(fraction * 100)));
            String d = Human.bytes(done);
            String t = Human.bytes(total);
            String unit = t.substring(t.indexOf(' '));
            line.append(d.endsWith(unit) ? d.substring(0, d.length() - unit.length()) + "/" + t : d + "/" + t);
        } else {
            line.append("-".repeat(BAR_WIDTH)).append("]  ").append(Human.bytes(done));
        }
        line.append("  ").append(Human.rate(rate));
        if (peers >= 0) {
            line.append("  ").append(peers).append(peers == 1 ? " peer" : " peers");
        }
        if (piecesTotal > 0) {
            line.append("  ").append(piecesDone).append('/').append(piecesTotal).append(" pieces");
        }
        return line.toString();
    }
}
