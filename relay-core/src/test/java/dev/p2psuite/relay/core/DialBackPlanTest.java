package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import java.util.List;
import org.junit.jupiter.api.Test;

class DialBackPlanTest {

    @Test
    void onlyHostAndReflexiveCandidatesAtTheObservedIpAndOutsideBlockedRangesAreDialled() {
        List<Candidate> candidates = List.of(
                Candidate.serverReflexive("203.0.113.7", 7000),
                Candidate.host("::ffff:203.0.113.7", 7001),
                Candidate.host("203.0.113.8", 7000),
                Candidate.host("node.example.org", 7000),
                Candidate.relayed("198.51.100.1", 7000, NodeId.of(new byte[20])));
        List<DialBackPlan.Decision> plan = DialBackPlan.plan(IpLiterals.parse("203.0.113.7").orElseThrow(),
                candidates, new AddressPolicy(false));
        assertThat(plan).extracting(DialBackPlan.Decision::dial).containsExactly(true, true, false, false, false);
        assertThat(plan.get(0).address().getPort()).isEqualTo(7000);
        assertThat(plan.get(2).reason()).contains("not the caller's observed IP");
        assertThat(plan.get(3).reason()).contains("not an IP literal");
        assertThat(plan.get(4).reason()).contains("relayed");
    }

    @Test
    void aCallerSeenAtAPrivateAddressIsDialledOnlyWhenPrivateTargetsAreAllowed() {
        List<Candidate> loopback = List.of(Candidate.host("127.0.0.1", 7000));
        var observed = IpLiterals.parse("127.0.0.1").orElseThrow();
        DialBackPlan.Decision strict = DialBackPlan.plan(observed, loopback, new AddressPolicy(false)).get(0);
        assertThat(strict.dial()).isFalse();
        assertThat(strict.reason()).contains("loopback", "p2p.relay.allow-private-targets");
        assertThat(DialBackPlan.plan(observed, loopback, new AddressPolicy(true)).get(0).dial()).isTrue();
    }
}
