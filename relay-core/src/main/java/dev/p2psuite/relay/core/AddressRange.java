package dev.p2psuite.relay.core;

/**
 * The class of an IP address as far as a relay cares: whether dialling it on a remote node's request could reach
 * something other than the public internet (the relay's own host, its LAN, its provider's network).
 */
public enum AddressRange {
    /** Globally routable as far as this policy knows. */
    PUBLIC("public"),
    /** {@code 0.0.0.0} or {@code ::}: Linux connects it to the local host. */
    UNSPECIFIED("unspecified"),
    /** {@code 127.0.0.0/8}, {@code ::1}. */
    LOOPBACK("loopback"),
    /** RFC 1918 ({@code 10/8}, {@code 172.16/12}, {@code 192.168/16}) and deprecated IPv6 site-local {@code fec0::/10}. */
    PRIVATE("private"),
    /** RFC 4193 unique local {@code fc00::/7}. */
    UNIQUE_LOCAL("unique-local"),
    /** {@code 169.254/16}, {@code fe80::/10}. */
    LINK_LOCAL("link-local"),
    /** {@code 224/4}, {@code ff00::/8}: no TCP connection can go there. */
    MULTICAST("multicast"),
    /** RFC 6598 shared address space {@code 100.64/10} (carrier-grade NAT): the provider's network, not the internet. */
    SHARED_CGNAT("cgnat"),
    /** {@code 0/8} ("this network", RFC 1122) and {@code 240/4} with the broadcast address: never a valid peer. */
    RESERVED("reserved");

    private final String tag;

    AddressRange(String tag) {
        this.tag = tag;
    }

    /** Short lowercase name, for messages and metric tags. */
    public String tag() {
        return tag;
    }
}
