package dev.p2psuite.identity;

import java.nio.charset.StandardCharsets;

/**
 * An address at which a node may be reached, ICE style: its own interface address ({@link Kind#HOST}), the address a
 * STUN server saw ({@link Kind#SERVER_REFLEXIVE}), or a relay's address through which the node keeps a reservation
 * ({@link Kind#RELAYED}, then {@code relay} is the relay's node ID). {@code host} is an IP literal or DNS name.
 * The constructor throws IllegalArgumentException on any invalid field (adapters map it to INVALID_ARGUMENT).
 */
public record Candidate(Kind kind, String host, int port, NodeId relay) {

    /** Host names are at most 255 bytes (RFC 1035), and the canonical encoding gives the length 16 bits. */
    public static final int MAX_HOST_BYTES = 255;

    /** Wire codes are part of the signed encoding ({@link PeerRecord#canonicalBytes()}): never renumber. */
    public enum Kind {
        HOST(1), SERVER_REFLEXIVE(2), RELAYED(3);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Kind fromCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown candidate kind code " + code + " (expected 1, 2 or 3)");
        }
    }

    public Candidate {
        if (kind == null) {
            throw new IllegalArgumentException("candidate kind is missing");
        }
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("candidate host is empty");
        }
        int hostBytes = host.getBytes(StandardCharsets.UTF_8).length;
        if (hostBytes > MAX_HOST_BYTES) {
            throw new IllegalArgumentException(
                    "candidate host is " + hostBytes + " UTF-8 bytes, at most " + MAX_HOST_BYTES + " allowed");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("candidate port must be 1..65535, got " + port);
        }
        if (kind == Kind.RELAYED && relay == null) {
            throw new IllegalArgumentException("a relayed candidate must name its relay's node ID");
        }
        if (kind != Kind.RELAYED && relay != null) {
            throw new IllegalArgumentException("only a relayed candidate may name a relay, this one is " + kind);
        }
    }

    public static Candidate host(String host, int port) {
        return new Candidate(Kind.HOST, host, port, null);
    }

    public static Candidate serverReflexive(String host, int port) {
        return new Candidate(Kind.SERVER_REFLEXIVE, host, port, null);
    }

    public static Candidate relayed(String host, int port, NodeId relay) {
        return new Candidate(Kind.RELAYED, host, port, relay);
    }
}
