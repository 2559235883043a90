package dev.p2psuite.storage.store;

import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.Manifest;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A manifest as this node keeps it: the verified manifest, the publisher's metadata (a serialized
 * {@code p2p.common.v1.ContentMetadata}, advisory and not covered by the ID) and when it was first stored here.
 *
 * <p>Stored encoding (big-endian): {@code version (1 byte) = 1 | added_unix_ms (int64) | metadata length (int32) |
 * metadata | canonical manifest}. The canonical manifest is what the content ID hashes, so a stored record is
 * re-verified against its key when read.
 */
public record StoredContent(Manifest manifest, byte[] metadata, long addedUnixMs) {

    private static final byte VERSION = 1;
    private static final int HEADER_BYTES = 1 + Long.BYTES + Integer.BYTES;

    public StoredContent {
        Objects.requireNonNull(manifest, "manifest");
        metadata = metadata == null ? new byte[0] : metadata;
    }

    public ContentId contentId() {
        return manifest.contentId();
    }

    public byte[] encode() {
        ByteBuffer canonical = manifest.canonicalView();
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + metadata.length + canonical.remaining());
        b.put(VERSION).putLong(addedUnixMs).putInt(metadata.length).put(metadata).put(canonical);
        return b.array();
    }

    /**
     * Decodes a stored record and checks it is the content {@code expected} names.
     *
     * @throws IllegalStateException if the record is corrupt or belongs to another ID (a store bug or damage)
     */
    public static StoredContent decode(byte[] encoded, ContentId expected) {
        try {
            ByteBuffer b = ByteBuffer.wrap(encoded);
            byte version = b.get();
            if (version != VERSION) {
                throw new IllegalStateException("unknown stored manifest version " + version);
            }
            long added = b.getLong();
            int metadataLength = b.getInt();
            byte[] metadata = new byte[metadataLength];
            b.get(metadata);
            byte[] canonical = new byte[b.remaining()];
            b.get(canonical);
            Manifest manifest = Manifest.fromCanonicalBytes(canonical);
            if (expected != null) {
                manifest.verifyAgainst(expected);
            }
            return new StoredContent(manifest, metadata, added);
        } catch (RuntimeException e) {
            throw new IllegalStateException("stored manifest of " + expected + " is corrupt: " + e.getMessage(), e);
        }
    }
}
