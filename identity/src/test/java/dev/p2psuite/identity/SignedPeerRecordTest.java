package dev.p2psuite.identity;

import static dev.p2psuite.identity.SeededProperties.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.InvalidRecordException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class SignedPeerRecordTest {

    private final NodeKey victim = TestSupport.key(1);
    private final NodeKey attacker = TestSupport.key(2);
    private final List<Candidate> candidates = TestSupport.someCandidates(TestSupport.key(3));

    static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(ThrowingCallable call, Reason reason) {
        return assertThatThrownBy(call).isInstanceOfSatisfying(InvalidRecordException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    private static SignedPeerRecord signWith(NodeKey signer, PeerRecord record) {
        return new SignedPeerRecord(record, signer.sign(record.canonicalBytes()));
    }

    @Test
    void recordSignedByItsOwnerVerifies() {
        SignedPeerRecord signed = SignedPeerRecord.sign(victim, 7, candidates);
        assertThatCode(signed::verify).doesNotThrowAnyException();
        assertThat(signed.nodeId()).isEqualTo(victim.nodeId());
        assertThat(signed.seq()).isEqualTo(7);
        assertThat(signed.record().candidates()).isEqualTo(candidates);
    }

    @Test
    void forgedRecordSignedByAnotherKeyIsRejectedAsBadSignature() {
        // The attacker copies the victim's ID and key but must sign with its own key.
        PeerRecord claimed = new PeerRecord(victim.nodeId(), victim.publicKey(), 8,
                List.of(Candidate.host("attacker.example", 666)));
        assertRejected(signWith(attacker, claimed)::verify, Reason.BAD_SIGNATURE)
                .hasMessageContaining(victim.nodeId().toHex())
                .hasMessageContaining("does not verify");
    }

    @Test
    void recordWhoseIdDoesNotMatchItsKeyIsRejected() {
        // A correctly signed record, but claiming the victim's ID with the attacker's key.
        PeerRecord claimed = new PeerRecord(victim.nodeId(), attacker.publicKey(), 1, candidates);
        InvalidRecordException e = catchInvalid(signWith(attacker, claimed));
        assertThat(e.reason()).isEqualTo(Reason.ID_KEY_MISMATCH);
        assertThat(e.nodeId()).isEqualTo(victim.nodeId());
        assertThat(e.getMessage()).contains(victim.nodeId().toHex()).contains(attacker.nodeId().toHex());
    }

    @Test
    void candidateTamperedAfterSigningIsRejected() {
        SignedPeerRecord genuine = SignedPeerRecord.sign(victim, 3, candidates);
        List<Candidate> redirected = new ArrayList<>(candidates);
        redirected.set(0, Candidate.host("198.51.100.66", 4001));
        PeerRecord tampered = new PeerRecord(victim.nodeId(), victim.publicKey(), 3, redirected);
        assertRejected(new SignedPeerRecord(tampered, genuine.signature())::verify, Reason.BAD_SIGNATURE);
    }

    @Test
    void sequenceNumberTamperedAfterSigningIsRejected() {
        SignedPeerRecord genuine = SignedPeerRecord.sign(victim, 3, candidates);
        PeerRecord bumped = new PeerRecord(victim.nodeId(), victim.publicKey(), 4, candidates);
        assertRejected(new SignedPeerRecord(bumped, genuine.signature())::verify, Reason.BAD_SIGNATURE);
    }

    @Test
    void anySingleBitFlipInTheSignatureIsRejected() {
        SignedPeerRecord genuine = SignedPeerRecord.sign(victim, 3, candidates);
        forAll(200, 10, r -> {
            byte[] signature = genuine.signature();
            signature[r.nextInt(signature.length)] ^= (byte) (1 << r.nextInt(8));
            assertThat(catchInvalid(new SignedPeerRecord(genuine.record(), signature)).reason())
                    .isIn(Reason.BAD_SIGNATURE);
        });
    }

    @Test
    void publicKeyOfTheWrongSizeIsMalformed() {
        PeerRecord record = new PeerRecord(victim.nodeId(), Arrays.copyOf(victim.publicKey(), 33), 1, List.of());
        assertRejected(new SignedPeerRecord(record, new byte[64])::verify, Reason.MALFORMED)
                .hasMessageContaining("public key is 33 bytes");
    }

    @Test
    void signatureOfTheWrongSizeIsMalformed() {
        SignedPeerRecord genuine = SignedPeerRecord.sign(victim, 1, candidates);
        assertRejected(new SignedPeerRecord(genuine.record(), Arrays.copyOf(genuine.signature(), 63))::verify,
                Reason.MALFORMED).hasMessageContaining("signature is 63 bytes");
    }

    @Test
    void tooManyCandidatesIsMalformed() {
        List<Candidate> seventeen = Collections.nCopies(17, Candidate.host("h", 1));
        PeerRecord record = new PeerRecord(victim.nodeId(), victim.publicKey(), 1, seventeen);
        assertRejected(new SignedPeerRecord(record, new byte[64])::verify, Reason.MALFORMED)
                .hasMessageContaining("17 candidates");
    }

    @Test
    void signedRecordIsImmutable() {
        SignedPeerRecord signed = SignedPeerRecord.sign(victim, 1, candidates);
        signed.signature()[0] ^= 1;
        assertThatCode(signed::verify).doesNotThrowAnyException();
    }

    private static InvalidRecordException catchInvalid(SignedPeerRecord record) {
        try {
            record.verify();
        } catch (InvalidRecordException e) {
            return e;
        }
        throw new AssertionError("record was accepted: " + record);
    }
}
