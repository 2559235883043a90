package dev.p2psuite.relay.core;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.random.RandomGenerator;

/** A circuit's identifier: 16 random bytes (relay_peer.proto {@code IncomingCircuit.circuit_id}). */
public final class CircuitId {

    public static final int LENGTH_BYTES = 16;

    private final byte[] bytes;

    private CircuitId(byte[] bytes) {
        this.bytes = bytes;
    }

    /** @throws IllegalArgumentException unless exactly {@value #LENGTH_BYTES} bytes */
    public static CircuitId of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH_BYTES) {
            throw new IllegalArgumentException("circuit_id must be " + LENGTH_BYTES + " bytes, got "
                    + (bytes == null ? 0 : bytes.length));
        }
        return new CircuitId(bytes.clone());
    }

    public static CircuitId random(RandomGenerator random) {
        byte[] b = new byte[LENGTH_BYTES];
        random.nextBytes(b);
        return new CircuitId(b);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public String toHex() {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CircuitId c && Arrays.equals(bytes, c.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
