package dev.p2psuite.relay.core;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Where a relay may dial on a remote node's behalf (circuits to an address, dial-backs, hole-punch checks). A relay
 * is a door into the network it runs in: a remote caller naming {@code 127.0.0.1:7001} or {@code 10.0.0.5:22} must
 * not get a connection to the relay's own internal services or its LAN (server-side request forgery). So by
 * default only {@linkplain AddressRange#PUBLIC public} addresses are dialled, as libp2p's relay v2 and coturn's
 * {@code denied-peer-ip} defaults do.
 *
 * <p>{@code allowPrivateTargets} opens loopback, private, unique-local, link-local and shared (CGNAT) ranges, for
 * a test network on one host or a LAN deployment. Unspecified, multicast and reserved addresses stay refused
 * even then: no peer can legitimately be reached there, and {@code 0.0.0.0} is the local host on Linux.
 *
 * <p>IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped {@code ::ffff:a.b.c.d}
 * (RFC 4291 §2.5.5.2), the deprecated IPv4-compatible {@code ::a.b.c.d}, and the NAT64 well-known prefix
 * {@code 64:ff9b::/96} (RFC 6052), which a NAT64 gateway translates to that IPv4 address.
 */
public final class AddressPolicy {

    /** Ranges {@code allowPrivateTargets} opens. */
    public static final Set<AddressRange> PRIVATE_RANGES = Set.copyOf(EnumSet.of(AddressRange.LOOPBACK,
            AddressRange.PRIVATE, AddressRange.UNIQUE_LOCAL, AddressRange.LINK_LOCAL, AddressRange.SHARED_CGNAT));

    private static final byte[] NAT64_WELL_KNOWN = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

    private final boolean allowPrivateTargets;

    /** @param allowPrivateTargets open the {@link #PRIVATE_RANGES} (configuration {@code p2p.relay.allow-private-targets}) */
    public AddressPolicy(boolean allowPrivateTargets) {
        this.allowPrivateTargets = allowPrivateTargets;
    }

    public boolean allowsPrivateTargets() {
        return allowPrivateTargets;
    }

    /** The verdict on dialling {@code address}. */
    public record Decision(boolean allowed, AddressRange range, String reason) {
    }

    /** Whether {@code address} may be dialled; the reason names the range and the switch that would open it. */
    public Decision check(InetAddress address) {
        AddressRange range = classify(address);
        if (range == AddressRange.PUBLIC) {
            return new Decision(true, range, "public address");
        }
        if (allowPrivateTargets && PRIVATE_RANGES.contains(range)) {
            return new Decision(true, range, range.tag() + " address allowed by p2p.relay.allow-private-targets");
        }
        String why = PRIVATE_RANGES.contains(range)
                ? "; a relay does not dial into " + range.tag() + " ranges unless p2p.relay.allow-private-targets=true"
                : "; no peer can be reached there, so it is never dialled";
        return new Decision(false, range, address.getHostAddress() + " is a " + range.tag() + " address" + why);
    }

    /** The range {@code address} belongs to, judging IPv6 forms that embed an IPv4 address by that address. */
    public static AddressRange classify(InetAddress address) {
        InetAddress a = embeddedIpv4(address);
        // java.net's predicates cover the classic ranges for both families...
        if (a.isAnyLocalAddress()) {
            return AddressRange.UNSPECIFIED;
        }
        if (a.isLoopbackAddress()) {
            return AddressRange.LOOPBACK;
        }
        if (a.isMulticastAddress()) {
            return AddressRange.MULTICAST;
        }
        if (a.isLinkLocalAddress()) {
            return AddressRange.LINK_LOCAL;
        }
        if (a.isSiteLocalAddress()) { // RFC 1918; fec0::/10 for IPv6
            return AddressRange.PRIVATE;
        }
        // ...and these they do not know.
        byte[] b = a.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            if (first == 0 || first >= 240) { // 0/8 "this network"; 240/4 reserved, 255.255.255.255 broadcast
                return AddressRange.RESERVED;
            }
            if (first == 100 && (second & 0xc0) == 64) { // 100.64.0.0/10
                return AddressRange.SHARED_CGNAT;
            }
            return AddressRange.PUBLIC;
        }
        if ((b[0] & 0xfe) == 0xfc) { // fc00::/7
            return AddressRange.UNIQUE_LOCAL;
        }
        return AddressRange.PUBLIC;
    }

    /**
     * The IPv4 address an IPv6 address carries (mapped {@code ::ffff:0:0/96}, compatible {@code ::/96} other than
     * {@code ::} and {@code ::1}, NAT64 {@code 64:ff9b::/96}); otherwise the address itself. Java turns most
     * mapped literals into {@link java.net.Inet4Address} already, but {@link Inet6Address#getByAddress} does not.
     */
    static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        boolean firstTenZero = true;
        for (int i = 0; i < 10; i++) {
            firstTenZero &= b[i] == 0;
        }
        boolean mapped = firstTenZero && b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        boolean compatible = firstTenZero && b[10] == 0 && b[11] == 0
                && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)); // not :: or ::1
        boolean nat64 = Arrays.equals(b, 0, 12, NAT64_WELL_KNOWN, 0, 12);
        if (mapped || compatible || nat64) {
            return IpLiterals.byAddress(Arrays.copyOfRange(b, 12, 16));
        }
        return address;
    }
}
