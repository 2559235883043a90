package dev.p2psuite.relay.core;

import dev.p2psuite.identity.Candidate;

/**
 * ICE candidate priorities (RFC 8445 §5.1.2.1):
 * {@code priority = 2^24 * type preference + 2^8 * local preference + (256 - component ID)}, with the
 * recommended type preferences host 126, server-reflexive 100, relayed 0 (§5.1.2.2). A node has one component
 * (its gateway's TCP port), so the component ID is always 1.
 */
public final class IcePriority {

    /** RFC 8445 §5.1.2.2 recommended type preferences. */
    public static final int HOST_PREFERENCE = 126;
    public static final int SERVER_REFLEXIVE_PREFERENCE = 100;
    public static final int RELAYED_PREFERENCE = 0;
    /** Local preference for a node with one address family and one interface of each kind (§5.1.2.1: 65535). */
    public static final int DEFAULT_LOCAL_PREFERENCE = 65_535;
    /** One component: the gateway's TCP port. */
    public static final int COMPONENT_ID = 1;

    private IcePriority() {
    }

    /** The type preference of a candidate kind. */
    public static int typePreference(Candidate.Kind kind) {
        return switch (kind) {
            case HOST -> HOST_PREFERENCE;
            case SERVER_REFLEXIVE -> SERVER_REFLEXIVE_PREFERENCE;
            case RELAYED -> RELAYED_PREFERENCE;
        };
    }

    /**
     * The priority; {@code localPreference} 0..65535 orders candidates of one kind (higher first). The result fits
     * 32 unsigned bits; it is returned as a long so that Java's signed int never flips the order.
     */
    public static long priority(Candidate.Kind kind, int localPreference) {
        if (localPreference < 0 || localPreference > 65_535) {
            throw new IllegalArgumentException("local preference must be 0..65535, got " + localPreference);
        }
        return ((long) typePreference(kind) << 24) + ((long) localPreference << 8) + (256 - COMPONENT_ID);
    }

    /** The priority with the default local preference. */
    public static long priority(Candidate.Kind kind) {
        return priority(kind, DEFAULT_LOCAL_PREFERENCE);
    }
}
