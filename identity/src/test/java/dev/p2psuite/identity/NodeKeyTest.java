package dev.p2psuite.identity;

import static dev.p2psuite.identity.SeededProperties.bytes;
import static dev.p2psuite.identity.SeededProperties.forAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class NodeKeyTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] MESSAGE = "hello".getBytes(StandardCharsets.UTF_8);

    @Test
    void matchesRfc8032TestVector1() {
        NodeKey key = NodeKey.fromPrivateKey(
                HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assertThat(HEX.formatHex(key.publicKey()))
                .isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(HEX.formatHex(key.sign(new byte[0]))).isEqualTo(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    }

    @Test
    void signatureVerifiesWithTheSignersPublicKey() {
        NodeKey key = TestSupport.key(1);
        byte[] signature = key.sign(MESSAGE);
        assertThat(signature).hasSize(NodeKey.SIGNATURE_BYTES);
        assertThat(NodeKey.verify(key.publicKey(), MESSAGE, signature)).isTrue();
    }

    @Test
    void signVerifyRoundTripsForAnyMessageAndRejectsAnyAlteredByte() {
        NodeKey key = TestSupport.key(2);
        forAll(200, 9, r -> {
            byte[] message = bytes(r, r.nextInt(300));
            byte[] signature = key.sign(message);
            assertThat(NodeKey.verify(key.publicKey(), message, signature)).isTrue();
            byte[] altered = signature.clone();
            altered[r.nextInt(altered.length)] ^= (byte) (1 << r.nextInt(8));
            assertThat(NodeKey.verify(key.publicKey(), message, altered)).isFalse();
            if (message.length > 0) {
                byte[] otherMessage = message.clone();
                otherMessage[r.nextInt(otherMessage.length)] ^= 1;
                assertThat(NodeKey.verify(key.publicKey(), otherMessage, signature)).isFalse();
            }
        });
    }

    @Test
    void signatureByAnotherKeyDoesNotVerify() {
        NodeKey signer = TestSupport.key(1);
        NodeKey other = TestSupport.key(2);
        assertThat(NodeKey.verify(other.publicKey(), MESSAGE, signer.sign(MESSAGE))).isFalse();
    }

    @Test
    void verifyReturnsFalseInsteadOfThrowingOnMalformedInput() {
        NodeKey key = TestSupport.key(1);
        byte[] signature = key.sign(MESSAGE);
        byte[] notAPoint = new byte[32];
        Arrays.fill(notAPoint, (byte) 0xff);
        assertThat(NodeKey.verify(Arrays.copyOf(key.publicKey(), 31), MESSAGE, signature)).isFalse();
        assertThat(NodeKey.verify(key.publicKey(), MESSAGE, Arrays.copyOf(signature, 63))).isFalse();
        assertThat(NodeKey.verify(key.publicKey(), MESSAGE, Arrays.copyOf(signature, 65))).isFalse();
        assertThat(NodeKey.verify(notAPoint, MESSAGE, signature)).isFalse();
        assertThat(NodeKey.verify(null, MESSAGE, signature)).isFalse();
        assertThat(NodeKey.verify(key.publicKey(), null, signature)).isFalse();
        assertThat(NodeKey.verify(key.publicKey(), MESSAGE, null)).isFalse();
    }

    @Test
    void keyRebuiltFromItsPrivateKeyIsTheSameNode() {
        NodeKey key = TestSupport.key(3);
        NodeKey again = NodeKey.fromPrivateKey(key.privateKeyBytes());
        assertThat(again.publicKey()).isEqualTo(key.publicKey());
        assertThat(again.nodeId()).isEqualTo(key.nodeId());
        assertThat(again.sign(MESSAGE)).isEqualTo(key.sign(MESSAGE));
    }

    @Test
    void generationIsReproducibleFromASeededRandom() {
        assertThat(TestSupport.key(4).privateKeyBytes()).isEqualTo(TestSupport.key(4).privateKeyBytes());
        assertThat(TestSupport.key(4).nodeId()).isNotEqualTo(TestSupport.key(5).nodeId());
    }

    @Test
    void privateKeyOfTheWrongLengthIsRejected() {
        assertThatThrownBy(() -> NodeKey.fromPrivateKey(new byte[64]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Ed25519 private key must be 32 bytes, got 64");
    }

    @Test
    void nodeIdIsDerivedFromThePublicKey() {
        NodeKey key = TestSupport.key(6);
        assertThat(key.nodeId()).isEqualTo(NodeId.fromPublicKey(key.publicKey()));
    }

    @Test
    void toStringDoesNotRevealThePrivateKey() {
        NodeKey key = TestSupport.key(7);
        String text = key.toString();
        assertThat(text).contains(key.nodeId().toHex());
        assertThat(text).doesNotContain(HEX.formatHex(key.privateKeyBytes()));
        assertThat(text).doesNotContain(java.util.Base64.getEncoder().encodeToString(key.privateKeyBytes()));
    }
}
