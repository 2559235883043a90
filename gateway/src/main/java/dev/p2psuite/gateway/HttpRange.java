package dev.p2psuite.gateway;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Range} request header against a content of known size (RFC 9110 §14.1.2 and §14.2): one byte range
 * ({@code bytes=first-last}, {@code bytes=first-}, {@code bytes=-suffix}) is served as 206; a header that is
 * absent, not a single bytes range (several ranges, another unit, bad syntax) is ignored and the whole content is
 * served (§14.2: a server MAY ignore Range); a range that selects no byte is unsatisfiable (416).
 */
record HttpRange(long offset, long length, Kind kind) {

    enum Kind { WHOLE, PARTIAL, UNSATISFIABLE }

    private static final Pattern SINGLE = Pattern.compile("\\s*bytes\\s*=\\s*(\\d*)\\s*-\\s*(\\d*)\\s*");

    /** What to serve of a content of {@code size} bytes for the header value (null = no header). */
    static HttpRange of(String header, long size) {
        HttpRange whole = new HttpRange(0, size, Kind.WHOLE);
        if (header == null) {
            return whole;
        }
        Matcher m = SINGLE.matcher(header);
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return whole;
        }
        try {
            if (m.group(1).isEmpty()) { // suffix: the last N bytes
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0 || size == 0) {
                    return unsatisfiable();
                }
                long n = Math.min(suffix, size);
                return new HttpRange(size - n, n, Kind.PARTIAL);
            }
            long first = Long.parseLong(m.group(1));
            long last = m.group(2).isEmpty() ? Long.MAX_VALUE : Long.parseLong(m.group(2));
            if (last < first) {
                return whole; // invalid syntax (§14.1.1: last-pos >= first-pos), ignored
            }
            if (first >= size) {
                return unsatisfiable();
            }
            return new HttpRange(first, Math.min(last, size - 1) - first + 1, Kind.PARTIAL);
        } catch (NumberFormatException e) { // more digits than a long holds
            return whole;
        }
    }

    private static HttpRange unsatisfiable() {
        return new HttpRange(0, 0, Kind.UNSATISFIABLE);
    }

    /** The {@code Content-Range} value: {@code bytes first-last/size}, or {@code bytes *}{@code /size} for 416. */
    String contentRange(long size) {
        return kind == Kind.UNSATISFIABLE ? "bytes */" + size
                : "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
    }
}
