package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ContentIdTest {

    private static final HexFormat HEX = HexFormat.of();
    /** The ID of the empty content, computed independently (Python hashlib + base64.b32encode). */
    private static final String EMPTY_ID_HEX = "1220fb3a3cba4389b3513c2a5e65487ffd32cec2eca02a5b98e51179413770bc85a6";
    private static final String EMPTY_ID_TEXT = "bciqpwor4xjbytm2rhqvf4zkip76tftwc5sqcuw4y4uixsqjxoc6iljq";
    private static final String EMPTY_ID_DHT_KEY = "c78dec7a8dda62f39269e7e92ff3f60a154f41d2";

    @Test
    void stringFormIsLowercaseBase32MultibaseOfTheMultihash() {
        ContentId id = ContentId.of(HEX.parseHex(EMPTY_ID_HEX));
        assertThat(id.toString()).isEqualTo(EMPTY_ID_TEXT).hasSize(ContentId.STRING_LENGTH).hasSize(56);
        assertThat(ContentId.parse(EMPTY_ID_TEXT)).isEqualTo(id);
        assertThat(id.bytes()).hasSize(34).startsWith(0x12, 0x20);
    }

    @Test
    void dhtKeyIsSha1OfTheThirtyFourIdBytes() throws Exception {
        ContentId id = ContentId.parse(EMPTY_ID_TEXT);
        assertThat(id.dhtKey().toHex()).isEqualTo(EMPTY_ID_DHT_KEY);
        assertThat(id.dhtKey().bytes()).isEqualTo(MessageDigest.getInstance("SHA-1").digest(id.bytes()));
    }

    @Test
    void randomIdsRoundTripThroughBytesAndText() {
        Seeded.forEachSeed(500, 1, random -> {
            byte[] digest = new byte[32];
            random.nextBytes(digest);
            ContentId id = ContentId.ofSha256(digest);
            assertThat(ContentId.parse(id.toString())).isEqualTo(id).hasSameHashCodeAs(id);
            assertThat(ContentId.of(id.bytes())).isEqualTo(id);
            assertThat(id.digest()).isEqualTo(digest);
            assertThat(id.toString()).matches("b[a-z2-7]{55}");
        });
    }

    @Test
    void idsAreCopiesAndCompareByBytes() {
        byte[] bytes = HEX.parseHex(EMPTY_ID_HEX);
        ContentId id = ContentId.of(bytes);
        bytes[5] ^= 1;
        assertThat(id.bytes()).isEqualTo(HEX.parseHex(EMPTY_ID_HEX));
        ContentId other = ContentId.of(bytes);
        assertThat(other).isNotEqualTo(id);
        assertThat(Integer.signum(id.compareTo(other))).isEqualTo(-Integer.signum(other.compareTo(id))).isNotZero();
    }

    @Test
    void emptyTextIsRejectedWithTheExpectedShape() {
        assertThatThrownBy(() -> ContentId.parse(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty").hasMessageContaining("'b' followed by 55 base32 characters");
    }

    @Test
    void wrongMultibasePrefixIsNamed() {
        assertThatThrownBy(() -> ContentId.parse("x" + EMPTY_ID_TEXT.substring(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("content ID must start with 'b' (multibase base32), got 'x'");
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT.toUpperCase()))
                .hasMessageContaining("got 'B'").hasMessageContaining("lowercase");
        assertThatThrownBy(() -> ContentId.parse("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"))
                .hasMessageContaining("base58");
    }

    @Test
    void badBase32CharacterIsReportedWithItsPosition() {
        String withOne = EMPTY_ID_TEXT.substring(0, 10) + "1" + EMPTY_ID_TEXT.substring(11);
        assertThatThrownBy(() -> ContentId.parse(withOne))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid base32 character '1' at position 10");
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT + "="))
                .hasMessageContaining("'='").hasMessageContaining("no padding");
        String withUpper = EMPTY_ID_TEXT.substring(0, 3) + "Q" + EMPTY_ID_TEXT.substring(4);
        assertThatThrownBy(() -> ContentId.parse(withUpper)).hasMessageContaining("'Q' at position 3");
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT + " ")).hasMessageContaining("' ' at position 56");
    }

    @Test
    void truncatedOrOverlongTextIsAWrongLength() {
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT.substring(0, 55)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("54 base32 characters after 'b', expected 55");
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT.substring(0, 53)))
                .hasMessage("content ID must be 34 bytes, got 32 (truncated)");
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT + "aaa"))
                .hasMessage("content ID must be 34 bytes, got 36 (extra bytes after the digest)");
        assertThatThrownBy(() -> ContentId.parse("b")).hasMessageContaining("0 base32 characters");
    }

    @Test
    void unknownHashCodeIsNamed() {
        byte[] sha512 = new byte[66];
        sha512[0] = 0x13;
        sha512[1] = 0x40;
        String text = textOf(sha512);
        assertThatThrownBy(() -> ContentId.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("content ID uses unknown multihash code 0x13; only 0x12 (sha2-256) is supported");
        byte[] bytes = HEX.parseHex(EMPTY_ID_HEX);
        bytes[0] = 0x11;
        assertThatThrownBy(() -> ContentId.of(bytes)).hasMessageContaining("unknown multihash code 0x11");
    }

    @Test
    void wrongDigestLengthByteIsRejected() {
        byte[] bytes = HEX.parseHex(EMPTY_ID_HEX);
        bytes[1] = 0x14;
        assertThatThrownBy(() -> ContentId.of(bytes))
                .hasMessage("content ID has a wrong digest length 20; sha2-256 digests are 32 bytes");
        assertThatThrownBy(() -> ContentId.of(new byte[] {0x12}))
                .hasMessageContaining("wrong digest length (missing)");
        assertThatThrownBy(() -> ContentId.of(new byte[0])).hasMessageContaining("empty");
    }

    @Test
    void wrongByteLengthsAreRejected() {
        byte[] full = HEX.parseHex(EMPTY_ID_HEX);
        assertThatThrownBy(() -> ContentId.of(java.util.Arrays.copyOf(full, 33)))
                .hasMessage("content ID must be 34 bytes, got 33 (truncated)");
        assertThatThrownBy(() -> ContentId.of(java.util.Arrays.copyOf(full, 35)))
                .hasMessage("content ID must be 34 bytes, got 35 (extra bytes after the digest)");
    }

    @Test
    void nonCanonicalSpareBitsAreRejected() {
        // 272 bits in 55 characters leave 3 spare bits; a last character with them set decodes to the same bytes.
        char last = EMPTY_ID_TEXT.charAt(55);
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        char altered = alphabet.charAt(alphabet.indexOf(last) | 1);
        assertThat(altered).isNotEqualTo(last);
        assertThatThrownBy(() -> ContentId.parse(EMPTY_ID_TEXT.substring(0, 55) + altered))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not canonical base32");
    }

    private static String textOf(byte[] bytes) {
        StringBuilder sb = new StringBuilder("b");
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        long buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                sb.append(alphabet.charAt((int) (buffer >>> bits) & 31));
            }
        }
        if (bits > 0) {
            sb.append(alphabet.charAt((int) (buffer << (5 - bits)) & 31));
        }
        return sb.toString();
    }
}
