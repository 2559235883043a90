package dev.p2psuite.cli;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.common.v1.Candidate;
import dev.p2psuite.proto.common.v1.SignedPeerRecord;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Formatting for people: sizes in binary units, rates, durations, times, addresses. */
final class Human {

    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Human() {
    }

    /** 512 B, 1.5 KiB, 8.0 MiB, 3.21 GiB. */
    static String bytes(double n) {
        if (n < 1024) {
            return String.format(Locale.ROOT, "%d B", (long) n);
        }
        int unit = 0;
        double v = n;
        while (v >= 1024 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, UNITS[unit]);
    }

    /** Bytes per second as "12.3 MiB/s". */
    static String rate(double bytesPerSecond) {
        return bytes(Math.max(0, bytesPerSecond)) + "/s";
    }

    /** Bytes over seconds, or 0 for no time. */
    static double perSecond(long bytes, double seconds) {
        return seconds <= 0 ? 0 : bytes / seconds;
    }

    /** 0.42 s, 12.3 s, 2m 05s, 1h 02m. */
    static String seconds(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, s < 10 ? "%.2f s" : "%.1f s", s);
        }
        long total = Math.round(s);
        if (total < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", total / 60, total % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", total / 3600, (total % 3600) / 60);
    }

    /** "3s ago", "5m 02s ago", "never" for 0. */
    static String ago(long unixMs, long nowMs) {
        if (unixMs <= 0) {
            return "never";
        }
        long seconds = Math.max(0, (nowMs - unixMs) / 1000);
        if (seconds < 60) {
            return seconds + "s ago";
        }
        return seconds(seconds) + " ago";
    }

    static String time(long unixMs) {
        return unixMs <= 0 ? "-" : TIME.format(Instant.ofEpochMilli(unixMs));
    }

    static String thousands(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }

    /** The candidate addresses of a signed record, "host:port" each, most preferred first. */
    static String addresses(SignedPeerRecord record) {
        List<Candidate> candidates = record.getRecord().getCandidatesList();
        if (candidates.isEmpty()) {
            return "-";
        }
        return candidates.stream().map(Human::address).collect(Collectors.joining(", "));
    }

    static String address(Candidate c) {
        String host = c.getHost().indexOf(':') >= 0 ? "[" + c.getHost() + "]" : c.getHost();
        String kind = switch (c.getKind()) {
            case CANDIDATE_KIND_SERVER_REFLEXIVE -> " (reflexive)";
            case CANDIDATE_KIND_RELAYED -> " (relay)";
            default -> "";
        };
        return host + ":" + c.getPort() + kind;
    }

    /** Enum constant without its type prefix, lowercased: CONNECTION_PATH_DIRECT -> direct. */
    static String enumName(Enum<?> value, String prefix) {
        String name = value.name();
        if (name.startsWith(prefix)) {
            name = name.substring(prefix.length());
        }
        return name.toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
