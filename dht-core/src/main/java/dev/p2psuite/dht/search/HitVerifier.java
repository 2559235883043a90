package dev.p2psuite.dht.search;

import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a received hit may be passed on: its fields within the contract's limits, its provider's signed
 * record valid (ID = SHA-1 of the key, record signature), and the hit signed by that provider's key for this query
 * ({@link HitSignature}). Every node on the return path checks, so a relay can neither forge nor alter a hit.
 * Thread-safe; provider records already verified are remembered (bounded) since one provider answers many hits.
 */
public final class HitVerifier {

    private static final int DEFAULT_REMEMBERED_RECORDS = 4_096;

    private final int remembered;
    private final Map<SignedPeerRecord, Boolean> records;

    public HitVerifier() {
        this(DEFAULT_REMEMBERED_RECORDS);
    }

    public HitVerifier(int rememberedRecords) {
        this.remembered = rememberedRecords;
        this.records = new LinkedHashMap<>(64, 0.75f, true);
    }

    /** Whether {@code hit} is genuine for the query {@code queryId}. */
    public boolean verify(byte[] queryId, Hit hit) {
        return problem(queryId, hit) == null;
    }

    /** Why {@code hit} must be dropped, or null if it is genuine. */
    public String problem(byte[] queryId, Hit hit) {
        String shape = contentProblem(hit.contentId(), hit.name(), hit.mediaType(), hit.tags());
        if (shape != null) {
            return shape;
        }
        SignedPeerRecord provider = hit.provider();
        if (provider == null) {
            return "provider record missing or malformed";
        }
        if (hit.signature().length != NodeKey.SIGNATURE_BYTES) {
            return "signature is " + hit.signature().length + " bytes, expected " + NodeKey.SIGNATURE_BYTES;
        }
        if (!recordValid(provider)) {
            return "provider record of " + provider.nodeId().toHex() + " does not verify";
        }
        byte[] payload = HitSignature.payload(queryId, hit.contentId(), hit.sizeBytes(), hit.name());
        if (!NodeKey.verify(provider.record().publicKey(), payload, hit.signature())) {
            return "hit signature does not verify with the key of provider " + provider.nodeId().toHex();
        }
        return null;
    }

    private boolean recordValid(SignedPeerRecord record) {
        synchronized (records) {
            if (records.get(record) != null) {
                return true;
            }
        }
        try {
            record.verify();
        } catch (InvalidRecordException e) {
            return false;
        }
        synchronized (records) {
            records.put(record, Boolean.TRUE);
            if (records.size() > remembered) {
                records.remove(records.keySet().iterator().next());
            }
        }
        return true;
    }

    /** Shape limits of a content's ID and metadata (types.proto, SearchHit), or null if within them. */
    static String contentProblem(byte[] contentId, String name, String mediaType, List<String> tags) {
        if (contentId.length != SearchLimits.CONTENT_ID_BYTES || contentId[0] != 0x12 || contentId[1] != 0x20) {
            return "content ID must be 34 bytes starting 0x12 0x20 (SHA-256 multihash), got " + contentId.length
                    + " bytes";
        }
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > SearchLimits.MAX_NAME_BYTES) {
            return "name is " + nameBytes + " bytes; at most " + SearchLimits.MAX_NAME_BYTES;
        }
        int mediaBytes = mediaType.getBytes(StandardCharsets.UTF_8).length;
        if (mediaBytes > SearchLimits.MAX_MEDIA_TYPE_BYTES) {
            return "media type is " + mediaBytes + " bytes; at most " + SearchLimits.MAX_MEDIA_TYPE_BYTES;
        }
        if (tags.size() > SearchLimits.MAX_TAGS) {
            return tags.size() + " tags; at most " + SearchLimits.MAX_TAGS;
        }
        for (String t : tags) {
            int b = t.getBytes(StandardCharsets.UTF_8).length;
            if (b < 1 || b > SearchLimits.MAX_TAG_BYTES) {
                return "a tag is " + b + " bytes; each is 1.." + SearchLimits.MAX_TAG_BYTES;
            }
        }
        return null;
    }
}
