package dev.p2psuite.identity;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * An authenticated peer and the bearer token it presents on later calls until {@code expiresAt} (whole
 * milliseconds, the precision inside the token).
 */
public record Session(NodeId peer, byte[] token, Instant expiresAt) {

    public Session {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(expiresAt, "expiry");
        token = token.clone();
    }

    @Override
    public byte[] token() {
        return token.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Session s && peer.equals(s.peer) && Arrays.equals(token, s.token)
                && expiresAt.equals(s.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(peer, Arrays.hashCode(token), expiresAt);
    }

    /** Never shows the token: it is a credential. */
    @Override
    public String toString() {
        return "Session[peer=" + peer.toHex() + ", expiresAt=" + expiresAt + "]";
    }
}
