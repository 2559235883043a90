package dev.p2psuite.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.TestSupport.MutableClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerAuthenticatorTest {

    private final MutableClock clock = new MutableClock(TestSupport.T0);
    private final SecureRandom random = TestSupport.seeded(42);

    private final NodeKey server = TestSupport.key(1);
    private final NodeKey client = TestSupport.key(2);
    private final NodeKey attacker = TestSupport.key(3);
    private final SignedPeerRecord serverRecord = SignedPeerRecord.sign(server, 1, List.of(Candidate.host("s", 4001)));
    private final SignedPeerRecord clientRecord = SignedPeerRecord.sign(client, 1, List.of(Candidate.host("c", 4001)));
    private final PeerRecordBook book = new PeerRecordBook(1000);
    private final PeerAuthenticator authenticator =
            new PeerAuthenticator(server, () -> serverRecord, book, clock, random);

    /** The client's half of a handshake against {@link #authenticator}: returns the server nonce and signature. */
    private Answer answer(NodeKey caller) throws AuthenticationException {
        byte[] clientNonce = PeerAuthClient.newClientNonce(random);
        Challenge challenge = authenticator.challenge(clientNonce);
        byte[] signature = PeerAuthClient.answerChallenge(caller, clientNonce, challenge, server.nodeId());
        return new Answer(challenge.serverNonce(), signature);
    }

    private record Answer(byte[] serverNonce, byte[] signature) {
    }

    @Test
    void fullHandshakeAuthenticatesTheCallerAndItsTokenVerifiesToItsId() throws Exception {
        Answer a = answer(client);
        Session session = authenticator.authenticate(a.serverNonce(), clientRecord, a.signature());
        assertThat(session.peer()).isEqualTo(client.nodeId());
        assertThat(session.token()).hasSize(PeerAuthenticator.TOKEN_BYTES);
        assertThat(session.expiresAt()).isEqualTo(TestSupport.T0.plus(PeerAuthenticator.DEFAULT_SESSION_LIFETIME));
        assertThat(authenticator.verifyToken(session.token())).isEqualTo(client.nodeId());
    }

    @Test
    void handshakeRecordsTheCallersRecordInTheBook() throws Exception {
        Answer a = answer(client);
        authenticator.authenticate(a.serverNonce(), clientRecord, a.signature());
        assertThat(book.get(client.nodeId())).contains(clientRecord);
    }

    @Test
    void tokenLayoutIsCallerIdThenExpiryMillisThenMac() throws Exception {
        Answer a = answer(client);
        byte[] token = authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()).token();
        assertThat(java.util.Arrays.copyOf(token, 20)).isEqualTo(client.nodeId().bytes());
        long expiry = java.nio.ByteBuffer.wrap(token, 20, 8).getLong();
        assertThat(expiry).isEqualTo(TestSupport.T0.plus(Duration.ofHours(1)).toEpochMilli());
    }

    @Test
    void callerClaimingSomeoneElsesIdIsRejected() throws Exception {
        // The attacker presents the client's genuine record but can only sign with its own key.
        Answer a = answer(attacker);
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("caller signature does not verify")
                .hasMessageContaining(client.nodeId().toHex());
    }

    @Test
    void callerWhoseRecordIdDoesNotMatchItsKeyIsRejected() throws Exception {
        PeerRecord claimed = new PeerRecord(client.nodeId(), attacker.publicKey(), 1, List.of());
        SignedPeerRecord forged = new SignedPeerRecord(claimed, attacker.sign(claimed.canonicalBytes()));
        Answer a = answer(attacker);
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), forged, a.signature()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("caller's peer record is invalid (ID_KEY_MISMATCH)")
                .hasCauseInstanceOf(InvalidRecordException.class);
        assertThat(book.get(client.nodeId())).isEmpty();
    }

    @Test
    void callerPresentingAnOlderRecordThanOneAlreadySeenIsRejected() throws Exception {
        book.accept(SignedPeerRecord.sign(client, 2, List.of()));
        Answer a = answer(client);
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("STALE_SEQUENCE");
    }

    @Test
    void replayedAuthenticateWithTheSameNonceIsRejected() throws Exception {
        Answer a = answer(client);
        authenticator.authenticate(a.serverNonce(), clientRecord, a.signature());
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("already used");
    }

    @Test
    void failedAttemptStillConsumesTheNonce() throws Exception {
        Answer a = answer(client);
        byte[] wrong = a.signature().clone();
        wrong[0] ^= 1;
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), clientRecord, wrong))
                .isInstanceOf(AuthenticationException.class);
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()))
                .hasMessageContaining("already used");
    }

    @Test
    void nonceThatWasNeverIssuedIsRejected() throws Exception {
        Answer a = answer(client);
        byte[] madeUp = a.serverNonce().clone();
        madeUp[0] ^= 1;
        assertThatThrownBy(() -> authenticator.authenticate(madeUp, clientRecord, a.signature()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("server nonce is unknown");
        assertThatThrownBy(() -> authenticator.authenticate(null, clientRecord, a.signature()))
                .hasMessageContaining("server nonce is unknown");
    }

    @Test
    void expiredNonceIsRejected() throws Exception {
        Answer a = answer(client);
        clock.advance(PeerAuthenticator.DEFAULT_NONCE_LIFETIME);
        assertThatThrownBy(() -> authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("expired");
    }

    @Test
    void nonceAnsweredJustBeforeItsLifetimeEndsIsAccepted() throws Exception {
        Answer a = answer(client);
        clock.advance(PeerAuthenticator.DEFAULT_NONCE_LIFETIME.minusMillis(1));
        assertThat(authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()).peer())
                .isEqualTo(client.nodeId());
    }

    @Test
    void expiredNoncesAreForgottenWhenNewChallengesAreIssued() throws Exception {
        answer(client);
        answer(client);
        clock.advance(Duration.ofSeconds(31));
        answer(client);
        assertThat(authenticator.outstandingNonces()).isEqualTo(1);
    }

    @Test
    void signatureMadeForAnotherResponderIsRejected() throws Exception {
        // A malicious node B relays the challenge of A to the client and replays the answer to A: the caller
        // signed B's ID, so A refuses.
        NodeKey other = TestSupport.key(4);
        byte[] clientNonce = PeerAuthClient.newClientNonce(random);
        Challenge fromA = authenticator.challenge(clientNonce);
        byte[] signatureForB = client.sign(PeerAuthenticator.callerMessage(
                fromA.serverNonce(), other.nodeId(), client.nodeId()));
        assertThatThrownBy(() -> authenticator.authenticate(fromA.serverNonce(), clientRecord, signatureForB))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("caller signature does not verify");
    }

    @Test
    void clientNonceMustBe16To64Bytes() {
        assertThatThrownBy(() -> authenticator.challenge(new byte[15]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("client nonce must be 16..64 bytes, got 15");
        assertThatThrownBy(() -> authenticator.challenge(new byte[65])).isInstanceOf(IllegalArgumentException.class);
        assertThat(authenticator.challenge(new byte[16]).serverNonce()).hasSize(32);
        assertThat(authenticator.challenge(new byte[64]).serverNonce()).hasSize(32);
    }

    @Test
    void oldestOutstandingNonceIsDroppedBeyondTheLimit() throws Exception {
        Answer first = answer(client);
        for (int i = 0; i < PeerAuthenticator.MAX_OUTSTANDING_NONCES; i++) {
            authenticator.challenge(new byte[16]);
        }
        assertThat(authenticator.outstandingNonces()).isEqualTo(PeerAuthenticator.MAX_OUTSTANDING_NONCES);
        assertThatThrownBy(() -> authenticator.authenticate(first.serverNonce(), clientRecord, first.signature()))
                .hasMessageContaining("server nonce is unknown");
    }

    @Test
    void tamperedTokenIsRejected() throws Exception {
        Answer a = answer(client);
        byte[] token = authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()).token();
        // Flip a byte in the caller ID, the expiry and the MAC in turn.
        for (int at : new int[] {0, 19, 20, 27, 28, 59}) {
            byte[] tampered = token.clone();
            tampered[at] ^= 1;
            assertThatThrownBy(() -> authenticator.verifyToken(tampered))
                    .as("byte %d", at)
                    .isInstanceOf(AuthenticationException.class)
                    .hasMessageContaining("bad MAC");
        }
    }

    @Test
    void tokenOfTheWrongLengthIsRejected() {
        assertThatThrownBy(() -> authenticator.verifyToken(new byte[59]))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("must be 60 bytes, got 59");
        assertThatThrownBy(() -> authenticator.verifyToken(null)).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void expiredTokenIsRejected() throws Exception {
        Answer a = answer(client);
        Session session = authenticator.authenticate(a.serverNonce(), clientRecord, a.signature());
        clock.advance(Duration.ofHours(1).minusMillis(1));
        assertThat(authenticator.verifyToken(session.token())).isEqualTo(client.nodeId());
        clock.advance(Duration.ofMillis(1));
        assertThatThrownBy(() -> authenticator.verifyToken(session.token()))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageContaining("expired at " + session.expiresAt());
    }

    @Test
    void tokenIssuedByAnotherInstanceIsRejected() throws Exception {
        Answer a = answer(client);
        byte[] token = authenticator.authenticate(a.serverNonce(), clientRecord, a.signature()).token();
        PeerAuthenticator restarted = new PeerAuthenticator(server, () -> serverRecord, book, clock,
                TestSupport.seeded(43));
        assertThatThrownBy(() -> restarted.verifyToken(token)).hasMessageContaining("bad MAC");
    }

    @Test
    void configuredLifetimesAreUsed() throws Exception {
        PeerAuthenticator shortLived = new PeerAuthenticator(server, () -> serverRecord, book, clock, random,
                Duration.ofSeconds(2), Duration.ofMinutes(5));
        byte[] clientNonce = PeerAuthClient.newClientNonce(random);
        Challenge challenge = shortLived.challenge(clientNonce);
        byte[] signature = PeerAuthClient.answerChallenge(client, clientNonce, challenge, server.nodeId());
        Session session = shortLived.authenticate(challenge.serverNonce(), clientRecord, signature);
        assertThat(session.expiresAt()).isEqualTo(TestSupport.T0.plus(Duration.ofMinutes(5)));

        Challenge late = shortLived.challenge(clientNonce);
        byte[] lateSignature = PeerAuthClient.answerChallenge(client, clientNonce, late, server.nodeId());
        clock.advance(Duration.ofSeconds(2));
        assertThatThrownBy(() -> shortLived.authenticate(late.serverNonce(), clientRecord, lateSignature))
                .hasMessageContaining("expired");
        assertThatThrownBy(() -> new PeerAuthenticator(server, () -> serverRecord, book, clock, random,
                Duration.ZERO, Duration.ofMinutes(5))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sessionExpiryIsWholeMillisecondsMatchingTheToken() throws Exception {
        clock.advance(Duration.ofNanos(123_456_789));
        Answer a = answer(client);
        Session session = authenticator.authenticate(a.serverNonce(), clientRecord, a.signature());
        assertThat(session.expiresAt()).isEqualTo(Instant.parse("2026-01-01T01:00:00.123Z"));
    }
}
