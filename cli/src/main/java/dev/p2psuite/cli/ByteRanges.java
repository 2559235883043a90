package dev.p2psuite.cli;

import dev.p2psuite.proto.common.v1.ByteRange;

/** {@code --range A-B}: bytes A through B inclusive, as in an HTTP Range header; {@code A-} through the end. */
final class ByteRanges {

    private ByteRanges() {
    }

    static ByteRange parse(String text) {
        String s = text.trim();
        int dash = s.indexOf('-');
        if (dash <= 0 || s.indexOf('-', dash + 1) >= 0) {
            throw new IllegalArgumentException("--range must be A-B (bytes A to B inclusive, from 0) or A- (A to the end), got '"
                    + text + "'");
        }
        long first = number(s.substring(0, dash), text);
        String end = s.substring(dash + 1);
        if (end.isEmpty()) {
            return ByteRange.newBuilder().setOffset(first).setLength(0).build();
        }
        long last = number(end, text);
        if (last < first) {
            throw new IllegalArgumentException("--range end must not be before its start, got '" + text + "'");
        }
        if (last == Long.MAX_VALUE) {
            throw new IllegalArgumentException("--range end is too large, got '" + text + "'");
        }
        return ByteRange.newBuilder().setOffset(first).setLength(last - first + 1).build();
    }

    private static long number(String digits, String text) {
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("--range must be A-B or A- with whole numbers of bytes, got '" + text + "'");
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--range number too large in '" + text + "'");
        }
    }
}
