package dev.p2psuite.relay.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * IP literals parsed without ever asking DNS. {@link InetAddress#getByName} resolves anything that is not a
 * literal and accepts legacy forms such as {@code 127.1} or {@code 0x7f.1}; a relay deciding whether it may dial
 * an address must see exactly the address it will dial, so only strict dotted quads and IPv6 literals pass.
 */
public final class IpLiterals {

    private IpLiterals() {
    }

    /**
     * The address written in {@code host}: a dotted quad without leading zeros, or an IPv6 literal (brackets
     * allowed, no zone). Empty for anything else, names included.
     */
    public static Optional<InetAddress> parse(String host) {
        if (host == null || host.isEmpty() || host.length() > 64) {
            return Optional.empty();
        }
        String h = host;
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        byte[] v4 = parseIpv4(h);
        if (v4 != null) {
            return Optional.of(byAddress(v4));
        }
        if (h.indexOf(':') < 0 || h.indexOf('%') >= 0) {
            return Optional.empty();
        }
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
                return Optional.empty();
            }
        }
        try {
            // Contains ':' and only hex digits, colons and dots: parsed as a literal, never looked up.
            return Optional.of(InetAddress.getByName(h));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** True if {@code host} is an IP literal as {@link #parse} accepts it. */
    public static boolean isLiteral(String host) {
        return parse(host).isPresent();
    }

    /** {@code a.b.c.d}, each 0..255 in decimal without leading zeros, or null. */
    static byte[] parseIpv4(String s) {
        byte[] out = new byte[4];
        int part = 0;
        int start = 0;
        for (int i = 0; i <= s.length(); i++) {
            if (i == s.length() || s.charAt(i) == '.') {
                int len = i - start;
                if (part == 4 || len == 0 || len > 3 || (len > 1 && s.charAt(start) == '0')) {
                    return null;
                }
                int value = 0;
                for (int j = start; j < i; j++) {
                    char c = s.charAt(j);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                    value = value * 10 + (c - '0');
                }
                if (value > 255) {
                    return null;
                }
                out[part++] = (byte) value;
                start = i + 1;
            }
        }
        return part == 4 ? out : null;
    }

    static InetAddress byAddress(byte[] raw) {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not 4 or 16 bytes", e); // cannot happen for our callers
        }
    }
}
