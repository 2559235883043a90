package dev.p2psuite.relay.core;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * What the per-IP reservation quota counts against: an IPv4 address, or an IPv6 /64. One IPv6 host usually owns a
 * whole /64 (SLAAC, privacy addresses), so counting single IPv6 addresses would let one machine take every slot.
 *
 * @param value {@code 203.0.113.7} or {@code 2001:db8:1:2::/64}
 */
public record SourceKey(String value) {

    public static SourceKey of(InetAddress address) {
        InetAddress a = AddressPolicy.embeddedIpv4(address);
        if (a instanceof Inet4Address) {
            return new SourceKey(a.getHostAddress());
        }
        byte[] b = a.getAddress();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return new SourceKey(s.append(":/64").toString());
    }

    @Override
    public String toString() {
        return value;
    }
}
