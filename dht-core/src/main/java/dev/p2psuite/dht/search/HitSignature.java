package dev.p2psuite.dht.search;

import dev.p2psuite.identity.NodeKey;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The bytes a provider signs for each hit (search_peer.proto SearchHit.signature; BE = big-endian):
 * ASCII "p2p-search-hit-v1" (17 bytes) | query_id (16) | content ID (34) | size_bytes (uint64 BE) |
 * name length (uint16 BE) | name UTF-8. Binding the query ID keeps a hit from being replayed into other queries.
 */
public final class HitSignature {

    public static final String PREFIX = "p2p-search-hit-v1";

    private HitSignature() {
    }

    /** @throws IllegalArgumentException if a length is off (query ID 16, content ID 34, name at most 255 bytes) */
    public static byte[] payload(byte[] queryId, byte[] contentId, long sizeBytes, String name) {
        if (queryId.length != SearchLimits.QUERY_ID_BYTES) {
            throw new IllegalArgumentException("query ID must be 16 bytes, got " + queryId.length);
        }
        if (contentId.length != SearchLimits.CONTENT_ID_BYTES) {
            throw new IllegalArgumentException("content ID must be 34 bytes, got " + contentId.length);
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > SearchLimits.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("name must be at most 255 bytes, got " + nameBytes.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(17 + 16 + 34 + 8 + 2 + nameBytes.length);
        out.writeBytes(PREFIX.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(queryId);
        out.writeBytes(contentId);
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (sizeBytes >>> shift));
        }
        out.write(nameBytes.length >>> 8);
        out.write(nameBytes.length);
        out.writeBytes(nameBytes);
        return out.toByteArray();
    }

    public static byte[] sign(NodeKey key, byte[] queryId, byte[] contentId, long sizeBytes, String name) {
        return key.sign(payload(queryId, contentId, sizeBytes, name));
    }
}
