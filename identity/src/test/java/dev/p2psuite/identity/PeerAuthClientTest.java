package dev.p2psuite.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.TestSupport.MutableClock;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerAuthClientTest {

    private final SecureRandom random = TestSupport.seeded(7);
    private final NodeKey server = TestSupport.key(1);
    private final NodeKey client = TestSupport.key(2);
    private final NodeKey attacker = TestSupport.key(3);
    private final SignedPeerRecord serverRecord = SignedPeerRecord.sign(server, 1, List.of(Candidate.host("s", 1)));
    private final SignedPeerRecord attackerRecord = SignedPeerRecord.sign(attacker, 1, List.of(Candidate.host("a", 1)));

    private PeerAuthenticator authenticatorOf(NodeKey key, SignedPeerRecord record) {
        return new PeerAuthenticator(key, () -> record, new PeerRecordBook(10), new MutableClock(TestSupport.T0),
                TestSupport.seeded(key.nodeId().hashCode()));
    }

    @Test
    void clientNonceIs32FreshBytes() {
        byte[] a = PeerAuthClient.newClientNonce(random);
        assertThat(a).hasSize(32);
        assertThat(PeerAuthClient.newClientNonce(random)).isNotEqualTo(a);
    }

    @Test
    void genuineResponderIsAcceptedWithOrWithoutAnExpectedId() throws Exception {
        PeerAuthenticator responder = authenticatorOf(server, serverRecord);
        byte[] nonce = PeerAuthClient.newClientNonce(random);
        Challenge challenge = responder.challenge(nonce);
        byte[] signature = PeerAuthClient.answerChallenge(client, nonce, challenge, server.nodeId());
        assertThat(NodeKey.verify(client.publicKey(), PeerAuthenticator.callerMessage(
                challenge.serverNonce(), server.nodeId(), client.nodeId()), signature)).isTrue();
        assertThat(PeerAuthClient.answerChallenge(client, nonce, challenge, null)).isEqualTo(signature);
    }

    @Test
    void responderThatIsNotTheDialedNodeIsDetected() {
        PeerAuthenticator impostor = authenticatorOf(attacker, attackerRecord);
        byte[] nonce = PeerAuthClient.newClientNonce(random);
        Challenge challenge = impostor.challenge(nonce);
        assertThatThrownBy(() -> PeerAuthClient.answerChallenge(client, nonce, challenge, server.nodeId()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("dialed " + server.nodeId().toHex() + " but the node answered as "
                        + attacker.nodeId().toHex());
    }

    @Test
    void forgedResponderPresentingAnotherNodesRecordIsDetected() {
        // The attacker serves the server's genuine record but can only sign the nonces with its own key.
        byte[] nonce = PeerAuthClient.newClientNonce(random);
        byte[] serverNonce = new byte[32];
        random.nextBytes(serverNonce);
        Challenge forged = new Challenge(serverNonce, serverRecord,
                attacker.sign(PeerAuthenticator.responderMessage(nonce, serverNonce)));
        assertThatThrownBy(() -> PeerAuthClient.answerChallenge(client, nonce, forged, server.nodeId()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("responder signature over our nonce does not verify")
                .hasMessageContaining(server.nodeId().toHex());
    }

    @Test
    void replayedChallengeMadeForAnotherClientNonceIsDetected() {
        PeerAuthenticator responder = authenticatorOf(server, serverRecord);
        Challenge recorded = responder.challenge(PeerAuthClient.newClientNonce(random));
        byte[] ourNonce = PeerAuthClient.newClientNonce(random);
        assertThatThrownBy(() -> PeerAuthClient.answerChallenge(client, ourNonce, recorded, server.nodeId()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("does not verify");
    }

    @Test
    void responderWithAnInvalidRecordIsRejected() {
        PeerRecord claimed = new PeerRecord(server.nodeId(), attacker.publicKey(), 1, List.of());
        SignedPeerRecord mismatched = new SignedPeerRecord(claimed, attacker.sign(claimed.canonicalBytes()));
        byte[] nonce = PeerAuthClient.newClientNonce(random);
        byte[] serverNonce = new byte[32];
        Challenge challenge = new Challenge(serverNonce, mismatched,
                attacker.sign(PeerAuthenticator.responderMessage(nonce, serverNonce)));
        assertThatThrownBy(() -> PeerAuthClient.answerChallenge(client, nonce, challenge, server.nodeId()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("responder's peer record is invalid (ID_KEY_MISMATCH)");
    }

    @Test
    void serverNonceOfTheWrongSizeIsRejected() {
        byte[] nonce = PeerAuthClient.newClientNonce(random);
        byte[] serverNonce = new byte[8];
        Challenge challenge = new Challenge(serverNonce, serverRecord,
                server.sign(PeerAuthenticator.responderMessage(nonce, serverNonce)));
        assertThatThrownBy(() -> PeerAuthClient.answerChallenge(client, nonce, challenge, null))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("8 bytes, expected 32");
    }
}
