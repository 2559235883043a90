package dev.p2psuite.dht.search;

import static dev.p2psuite.dht.search.SearchTestNet.content;
import static dev.p2psuite.dht.search.SearchTestNet.key;
import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The signed hit bytes of search_peer.proto and their verification against the provider's record. */
class HitSignatureTest {

    private final NodeKey key = key(1);
    private final SignedPeerRecord record = SignedPeerRecord.sign(key, 1, List.of(Candidate.host("10.0.0.1", 4001)));
    private final byte[] queryId = HexFormat.of().parseHex("00112233445566778899aabbccddeeff");

    @Test
    void thePayloadIsExactlyTheDocumentedBytes() {
        byte[] contentId = new byte[34];
        contentId[0] = 0x12;
        contentId[1] = 0x20;
        contentId[33] = 0x7f;
        byte[] p = HitSignature.payload(queryId, contentId, 0x0102030405060708L, "é.mp4");
        String expected = HexFormat.of().formatHex("p2p-search-hit-v1".getBytes())
                + "00112233445566778899aabbccddeeff"
                + "1220" + "00".repeat(31) + "7f"
                + "0102030405060708"
                + "0006" + HexFormat.of().formatHex("é.mp4".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(HexFormat.of().formatHex(p)).isEqualTo(expected);
        assertThat(p).hasSize(17 + 16 + 34 + 8 + 2 + 6);
    }

    @Test
    void aHitSignedByItsProviderVerifies() {
        Hit h = Hit.own(queryId, content("a.mp4", "video/mp4"), record, key);
        assertThat(new HitVerifier().problem(queryId, h)).isNull();
        assertThat(h.withHops(3).hops()).isEqualTo(3);
        assertThat(new HitVerifier().verify(queryId, h.withHops(5))).as("hops are not signed").isTrue();
    }

    @Test
    void anyChangeToASignedFieldOrAnotherQueryIdBreaksIt() {
        IndexedContent c = content("a.mp4", "video/mp4");
        Hit h = Hit.own(queryId, c, record, key);
        HitVerifier v = new HitVerifier();
        byte[] otherId = c.contentId();
        otherId[33] ^= 1;
        assertThat(v.problem(queryId, new Hit(otherId, h.name(), h.sizeBytes(), h.mediaType(), h.tags(), record,
                h.signature(), 0))).contains("hit signature does not verify");
        assertThat(v.verify(queryId, new Hit(h.contentId(), "b.mp4", h.sizeBytes(), h.mediaType(), h.tags(), record,
                h.signature(), 0))).isFalse();
        assertThat(v.verify(queryId, new Hit(h.contentId(), h.name(), h.sizeBytes() + 1, h.mediaType(), h.tags(),
                record, h.signature(), 0))).isFalse();
        byte[] otherQuery = queryId.clone();
        otherQuery[0] ^= 1;
        assertThat(v.verify(otherQuery, h)).isFalse();
        byte[] sig = h.signature();
        sig[10] ^= 1;
        assertThat(v.verify(queryId, new Hit(h.contentId(), h.name(), h.sizeBytes(), h.mediaType(), h.tags(), record,
                sig, 0))).isFalse();
    }

    @Test
    void aHitMustBeSignedByTheKeyOfTheRecordItCarries() {
        NodeKey other = key(2);
        SignedPeerRecord otherRecord = SignedPeerRecord.sign(other, 1, List.of(Candidate.host("10.0.0.2", 4001)));
        Hit h = Hit.own(queryId, content("a.mp4", "video/mp4"), record, key);
        Hit claimed = new Hit(h.contentId(), h.name(), h.sizeBytes(), h.mediaType(), h.tags(), otherRecord,
                h.signature(), 0);
        assertThat(new HitVerifier().problem(queryId, claimed)).contains(other.nodeId().toHex());
    }

    @Test
    void aProviderRecordThatDoesNotVerifyIsRejectedEvenWithAMatchingHitSignature() {
        // A record re-signed badly: the hit's signature is the key's, but the record claims other addresses.
        SignedPeerRecord tampered = new SignedPeerRecord(new dev.p2psuite.identity.PeerRecord(record.nodeId(),
                record.record().publicKey(), 2, List.of(Candidate.host("6.6.6.6", 4001))), record.signature());
        Hit h = Hit.own(queryId, content("a.mp4", "video/mp4"), tampered, key);
        assertThat(new HitVerifier().problem(queryId, h)).contains("provider record").contains("does not verify");
    }

    @Test
    void malformedHitsAreRejectedWithTheReason() {
        Hit h = Hit.own(queryId, content("a.mp4", "video/mp4"), record, key);
        HitVerifier v = new HitVerifier();
        assertThat(v.problem(queryId, new Hit(new byte[34], h.name(), 1, "", List.of(), record, h.signature(), 0)))
                .contains("0x12 0x20");
        assertThat(v.problem(queryId, new Hit(h.contentId(), h.name(), h.sizeBytes(), "", List.of(), record,
                new byte[63], 0))).contains("signature is 63 bytes");
        assertThat(v.problem(queryId, new Hit(h.contentId(), h.name(), h.sizeBytes(), "", List.of(), null,
                h.signature(), 0))).contains("provider record missing");
    }
}
