package dev.p2psuite.dht.core;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The address group a contact counts against in a bucket's diversity limit: an IPv4 /24, an IPv6 /48, or a host
 * name as written. Grouping by network rather than by address stops one operator with a block of addresses from
 * filling a bucket (eclipse attack; go-libp2p-kad-dht's peer diversity filter does the same).
 *
 * <p>Loopback, private, link-local and unique-local addresses are {@linkplain #exempt() exempt} when configured:
 * a local test network or a LAN runs every node from one such range, and an attacker there already owns the
 * network (go-libp2p's filter also lets private addresses through).
 */
record IpGroup(long ipv4Prefix, String key, boolean exempt) {

    /** For messages. */
    String describe() {
        return key != null ? key : (ipv4Prefix >> 16 & 0xff) + "." + (ipv4Prefix >> 8 & 0xff) + "."
                + (ipv4Prefix & 0xff) + ".0/24";
    }

    private static final int IPV6_GROUP_BYTES = 6;  // a /48

    static IpGroup of(Endpoint endpoint) {
        String host = endpoint.host();
        int[] v4 = parseIpv4(host);
        if (v4 != null) {
            return ipv4(v4);
        }
        if (host.indexOf(':') >= 0) {
            String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            int zone = literal.indexOf('%');
            if (zone >= 0) {
                literal = literal.substring(0, zone);
            }
            try {
                // An IPv6 literal (it contains ':'), so this parses and never asks DNS.
                byte[] b = InetAddress.getByName(literal).getAddress();
                if (b.length == 4) {
                    return ipv4(new int[] {b[0] & 0xff, b[1] & 0xff, b[2] & 0xff, b[3] & 0xff});
                }
                boolean exempt = (b[0] & 0xfe) == 0xfc                       // fc00::/7 unique local
                        || ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0x80)     // fe80::/10 link local
                        || isIpv6Loopback(b);
                StringBuilder key = new StringBuilder("6/");
                for (int i = 0; i < IPV6_GROUP_BYTES; i++) {
                    key.append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append(Character.forDigit(b[i] & 0xf, 16));
                }
                return new IpGroup(-1, key.toString(), exempt);
            } catch (UnknownHostException | RuntimeException e) {
                // not a valid literal: group it by its text below
            }
        }
        String name = host.toLowerCase(java.util.Locale.ROOT);
        return new IpGroup(-1, "n/" + name, name.equals("localhost"));
    }

    private static IpGroup ipv4(int[] a) {
        boolean exempt = a[0] == 127 || a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16)
                || (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
        return new IpGroup(((long) a[0] << 16) | (a[1] << 8) | a[2], null, exempt);  // the /24
    }

    private static boolean isIpv6Loopback(byte[] b) {
        for (int i = 0; i < 15; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[15] == 1;
    }

    /** Dotted-quad IPv4 literal, or null; no DNS. */
    private static int[] parseIpv4(String host) {
        int[] out = new int[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else if (c == '.' && value >= 0 && part < 3) {
                out[part++] = value;
                value = -1;
            } else {
                return null;
            }
        }
        if (part != 3 || value < 0) {
            return null;
        }
        out[3] = value;
        return out;
    }
}
