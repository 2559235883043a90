package dev.p2psuite.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerRecordTest {

    private final NodeKey key = NodeKey.fromPrivateKey(new byte[32]);
    private final NodeKey relay = TestSupport.key(99);

    @Test
    void canonicalBytesFollowTheDocumentedLayoutExactly() {
        PeerRecord record = PeerRecord.of(key, 0x0102030405060708L, TestSupport.someCandidates(relay));

        ByteBuffer expected = ByteBuffer.allocate(1024);
        expected.put("p2p-peer-record-v1".getBytes(StandardCharsets.US_ASCII));
        expected.put(key.nodeId().bytes()).put(key.publicKey());
        expected.put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        expected.put(new byte[] {0, 3});
        expected.put((byte) 1).put(new byte[] {0, 12}).put(ascii("192.168.1.20")).put(new byte[] {0x0f, (byte) 0xa1})
                .put((byte) 0);
        expected.put((byte) 2).put(new byte[] {0, 11}).put(ascii("203.0.113.7")).put(new byte[] {(byte) 0x9c, (byte) 0xbb})
                .put((byte) 0);
        expected.put((byte) 3).put(new byte[] {0, 17}).put(ascii("relay.example.org")).put(new byte[] {0x0f, (byte) 0xa1})
                .put((byte) 1).put(relay.nodeId().bytes());
        byte[] expectedBytes = new byte[expected.position()];
        expected.flip().get(expectedBytes);

        assertThat(HexFormat.of().formatHex(record.canonicalBytes())).isEqualTo(HexFormat.of().formatHex(expectedBytes));
    }

    @Test
    void hostIsEncodedAsUtf8WithItsByteLength() {
        PeerRecord record = PeerRecord.of(key, 1, List.of(Candidate.host("bücher.example", 80)));
        byte[] bytes = record.canonicalBytes();
        int hostLengthAt = 18 + 20 + 32 + 8 + 2 + 1;
        assertThat(((bytes[hostLengthAt] & 0xff) << 8) | (bytes[hostLengthAt + 1] & 0xff)).isEqualTo(15);
        assertThat(bytes).hasSize(hostLengthAt + 2 + 15 + 2 + 1);
    }

    @Test
    void seqIsEncodedAsUnsigned64BitBigEndian() {
        byte[] bytes = PeerRecord.of(key, -1L, List.of()).canonicalBytes();
        assertThat(java.util.Arrays.copyOfRange(bytes, 70, 78)).containsOnly((byte) 0xff);
        assertThat(bytes).hasSize(80);
    }

    @Test
    void signatureOverCanonicalBytesMatchesTheJdksOwnEd25519() throws Exception {
        // An independent Ed25519 implementation must produce the same (deterministic) signature.
        SignedPeerRecord signed = SignedPeerRecord.sign(key, 42, TestSupport.someCandidates(relay));
        PrivateKey jdkKey = KeyFactory.getInstance("Ed25519")
                .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, key.privateKeyBytes()));
        Signature jdk = Signature.getInstance("Ed25519");
        jdk.initSign(jdkKey);
        jdk.update(signed.record().canonicalBytes());
        assertThat(signed.signature()).isEqualTo(jdk.sign());
    }

    @Test
    void moreThanMaxCandidatesCannotBeSigned() {
        List<Candidate> seventeen = new ArrayList<>(Collections.nCopies(PeerRecord.MAX_CANDIDATES + 1,
                Candidate.host("h", 1)));
        assertThatThrownBy(() -> PeerRecord.of(key, 1, seventeen))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a peer record holds at most 16 candidates, got 17");
        assertThat(PeerRecord.of(key, 1, seventeen.subList(0, 16)).candidates()).hasSize(16);
    }

    @Test
    void malformedRecordHasNoCanonicalEncoding() {
        PeerRecord shortKey = new PeerRecord(key.nodeId(), new byte[31], 1, List.of());
        assertThatThrownBy(shortKey::canonicalBytes).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("public key is 31 bytes");
    }

    @Test
    void recordIsImmutable() {
        byte[] publicKey = key.publicKey();
        List<Candidate> candidates = new ArrayList<>(List.of(Candidate.host("h", 1)));
        PeerRecord record = new PeerRecord(key.nodeId(), publicKey, 1, candidates);
        publicKey[0] ^= 1;
        record.publicKey()[1] ^= 1;
        candidates.add(Candidate.host("x", 2));
        assertThat(record.publicKey()).isEqualTo(key.publicKey());
        assertThat(record.candidates()).hasSize(1);
    }

    @Test
    void recordsWithTheSameContentAreEqual() {
        assertThat(PeerRecord.of(key, 5, List.of(Candidate.host("h", 1))))
                .isEqualTo(PeerRecord.of(key, 5, List.of(Candidate.host("h", 1))))
                .hasSameHashCodeAs(PeerRecord.of(key, 5, List.of(Candidate.host("h", 1))))
                .isNotEqualTo(PeerRecord.of(key, 6, List.of(Candidate.host("h", 1))));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
