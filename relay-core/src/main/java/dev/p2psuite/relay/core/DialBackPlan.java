package dev.p2psuite.relay.core;

import dev.p2psuite.identity.Candidate;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which of a caller's candidates an AutoNAT-style dial-back may dial (libp2p AutoNAT; relay_peer.proto
 * {@code DialBack}). Only host and server-reflexive candidates whose IP is the caller's observed IP are dialled,
 * so the service cannot be used to make a relay connect to third parties (traffic amplification); names are not
 * resolved for the same reason; and the {@link AddressPolicy} applies on top.
 */
public final class DialBackPlan {

    /** relay_peer.proto: 1..8 candidates per request. */
    public static final int MAX_CANDIDATES = 8;

    private DialBackPlan() {
    }

    /** The decision for one candidate: dial {@code address}, or refuse for {@code reason}. */
    public record Decision(Candidate candidate, InetSocketAddress address, String reason) {
        public boolean dial() {
            return address != null;
        }
    }

    /** One decision per candidate, in order. */
    public static List<Decision> plan(InetAddress observed, List<Candidate> candidates, AddressPolicy policy) {
        InetAddress caller = AddressPolicy.embeddedIpv4(observed);
        List<Decision> out = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            out.add(decide(caller, c, policy));
        }
        return out;
    }

    private static Decision decide(InetAddress caller, Candidate c, AddressPolicy policy) {
        if (c.kind() == Candidate.Kind.RELAYED) {
            return new Decision(c, null, "relayed candidates are not dialled back");
        }
        Optional<InetAddress> ip = IpLiterals.parse(c.host());
        if (ip.isEmpty()) {
            return new Decision(c, null, "'" + c.host() + "' is not an IP literal; only the observed IP is dialled");
        }
        InetAddress target = AddressPolicy.embeddedIpv4(ip.get());
        if (!target.equals(caller)) {
            return new Decision(c, null, target.getHostAddress() + " is not the caller's observed IP "
                    + caller.getHostAddress());
        }
        AddressPolicy.Decision d = policy.check(target);
        if (!d.allowed()) {
            return new Decision(c, null, d.reason());
        }
        return new Decision(c, new InetSocketAddress(target, c.port()), null);
    }
}
