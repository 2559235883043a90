package dev.p2psuite.relay.core;

import java.time.Duration;
import java.time.Instant;

/**
 * When a node holding a relay reservation renews it, and how long it waits after a failure (libp2p circuit relay
 * v2: reservations are refreshed before they expire; relay_peer.proto {@code ReserveResponse}: "e.g. at 3/4 of
 * the lifetime").
 */
public final class RenewalSchedule {

    /** Renew after this fraction of the granted lifetime (numerator / denominator). */
    public static final int RENEW_AT_NUMERATOR = 3;
    public static final int RENEW_AT_DENOMINATOR = 4;
    /** First retry delay after a failed Reserve or a lost Listen stream; doubled per failure. */
    public static final Duration RETRY_MIN = Duration.ofSeconds(1);
    /** Longest retry delay. */
    public static final Duration RETRY_MAX = Duration.ofSeconds(60);

    private RenewalSchedule() {
    }

    /** When to renew a reservation granted at {@code grantedAt} that expires at {@code expiresAt}. */
    public static Instant renewAt(Instant grantedAt, Instant expiresAt) {
        Duration lifetime = Duration.between(grantedAt, expiresAt);
        if (lifetime.isNegative() || lifetime.isZero()) {
            return grantedAt; // already expired: at once
        }
        return grantedAt.plus(lifetime.multipliedBy(RENEW_AT_NUMERATOR).dividedBy(RENEW_AT_DENOMINATOR));
    }

    /** Delay before retry number {@code failures} (1 = first failure): exponential, capped. */
    public static Duration retryDelay(int failures) {
        if (failures < 1) {
            return Duration.ZERO;
        }
        int shift = Math.min(failures - 1, 20);
        Duration d = RETRY_MIN.multipliedBy(1L << shift);
        return d.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : d;
    }
}
