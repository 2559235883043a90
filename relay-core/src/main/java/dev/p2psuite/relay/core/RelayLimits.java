package dev.p2psuite.relay.core;

import java.time.Duration;

/**
 * The limits a relay enforces (configuration {@code p2p.relay.*}; relay-service/README.md lists them).
 *
 * @param reservationLifetime       how long a reservation lasts unless renewed (libp2p circuit relay v2: 1 h)
 * @param maxReservations           reservations served at once, in total
 * @param maxReservationsPerIp      reservations served at once per source IPv4 address or IPv6 /64
 * @param maxCircuitsPerReservation circuits pending or open at once to one reserving node; 0 = unlimited
 * @param maxCircuits               circuits pending or open at once through this relay; 0 = unlimited
 * @param circuitMaxBytes           byte budget of one circuit, both directions summed; 0 = unlimited
 * @param circuitMaxDuration        time budget of one circuit from when it opens; zero = unlimited
 * @param acceptTimeout             how long an announced circuit waits for the target's accept
 */
public record RelayLimits(Duration reservationLifetime, int maxReservations, int maxReservationsPerIp,
                          int maxCircuitsPerReservation, int maxCircuits, long circuitMaxBytes,
                          Duration circuitMaxDuration, Duration acceptTimeout) {

    /** 1 h, as libp2p circuit relay v2; holders renew at about 3/4 of it. */
    public static final Duration DEFAULT_RESERVATION_LIFETIME = Duration.ofHours(1);
    /** libp2p circuit relay v2's defaults (128 in total, 8 per IP). */
    public static final int DEFAULT_MAX_RESERVATIONS = 128;
    public static final int DEFAULT_MAX_RESERVATIONS_PER_IP = 8;
    /** libp2p circuit relay v2 allows 16 circuits per peer. */
    public static final int DEFAULT_MAX_CIRCUITS_PER_RESERVATION = 16;
    /**
     * Each open circuit may hold one frame (up to 1 MiB, typically 256 KiB) per direction in the relay while the
     * receiving end is slow: 64 circuits bound that at 128 MiB, 32 MiB with 256 KiB frames.
     */
    public static final int DEFAULT_MAX_CIRCUITS = 64;
    /**
     * 4 GiB: a relayed node serves whole pieces (256 KiB each) through its circuits, so the budget must be large
     * enough for bulk content (libp2p's 128 KiB default is meant only for a hole-punch handshake).
     */
    public static final long DEFAULT_CIRCUIT_MAX_BYTES = 4L << 30;
    /** 1 h, the reservation lifetime: a circuit outliving its reservation's renewal window reconnects. */
    public static final Duration DEFAULT_CIRCUIT_MAX_DURATION = Duration.ofHours(1);
    /** relay_peer.proto: accept within 10 s of the announcement. */
    public static final Duration DEFAULT_ACCEPT_TIMEOUT = Duration.ofSeconds(10);

    public RelayLimits {
        positive(reservationLifetime, "reservation lifetime");
        positive(acceptTimeout, "accept timeout");
        if (circuitMaxDuration == null || circuitMaxDuration.isNegative()) {
            throw new IllegalArgumentException("circuit max duration must be zero (unlimited) or positive, got "
                    + circuitMaxDuration);
        }
        if (maxReservations < 1 || maxReservationsPerIp < 1) {
            throw new IllegalArgumentException("max reservations (" + maxReservations + ") and per IP ("
                    + maxReservationsPerIp + ") must be at least 1");
        }
        if (maxCircuitsPerReservation < 0 || maxCircuits < 0 || circuitMaxBytes < 0) {
            throw new IllegalArgumentException("circuit limits must be 0 (unlimited) or positive");
        }
    }

    public static RelayLimits defaults() {
        return new RelayLimits(DEFAULT_RESERVATION_LIFETIME, DEFAULT_MAX_RESERVATIONS, DEFAULT_MAX_RESERVATIONS_PER_IP,
                DEFAULT_MAX_CIRCUITS_PER_RESERVATION, DEFAULT_MAX_CIRCUITS, DEFAULT_CIRCUIT_MAX_BYTES,
                DEFAULT_CIRCUIT_MAX_DURATION, DEFAULT_ACCEPT_TIMEOUT);
    }

    private static void positive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
    }
}
