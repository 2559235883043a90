package dev.p2psuite.storage;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.storage.v1.ContentSummary;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.store.StoredContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Proto to domain and back for storage-service; every malformed input becomes INVALID_ARGUMENT with a message. */
final class StorageWire {

    /** ContentMetadata limits (types.proto). */
    static final int MAX_NAME_BYTES = 255;
    static final int MAX_MEDIA_TYPE_BYTES = 127;
    static final int MAX_TAGS = 16;
    static final int MAX_TAG_BYTES = 64;

    private StorageWire() {
    }

    static ContentId contentId(dev.p2psuite.proto.common.v1.ContentId proto, boolean present, String field) {
        if (!present || proto.getValue().isEmpty()) {
            throw StorageException.invalid(field + " is missing; expected the " + ContentId.LENGTH_BYTES
                    + "-byte multihash of the content");
        }
        try {
            return ContentId.of(proto.getValue().toByteArray());
        } catch (IllegalArgumentException e) {
            throw StorageException.invalid(field + ": " + e.getMessage());
        }
    }

    static dev.p2psuite.proto.common.v1.ContentId toProto(ContentId id) {
        return dev.p2psuite.proto.common.v1.ContentId.newBuilder().setValue(ByteString.copyFrom(id.bytes())).build();
    }

    /** Checks the metadata limits of types.proto; returns it with tags lowercased, as stored. */
    static ContentMetadata normalize(ContentMetadata m) {
        if (utf8(m.getName()) > MAX_NAME_BYTES) {
            throw StorageException.invalid("metadata.name is " + utf8(m.getName()) + " bytes, at most "
                    + MAX_NAME_BYTES + " (UTF-8)");
        }
        if (utf8(m.getMediaType()) > MAX_MEDIA_TYPE_BYTES) {
            throw StorageException.invalid("metadata.media_type is " + utf8(m.getMediaType()) + " bytes, at most "
                    + MAX_MEDIA_TYPE_BYTES);
        }
        if (m.getTagsCount() > MAX_TAGS) {
            throw StorageException.invalid("metadata has " + m.getTagsCount() + " tags, at most " + MAX_TAGS);
        }
        List<String> tags = new ArrayList<>(m.getTagsCount());
        for (String t : m.getTagsList()) {
            int n = utf8(t);
            if (n < 1 || n > MAX_TAG_BYTES) {
                throw StorageException.invalid("metadata tag '" + t + "' is " + n + " bytes, tags are 1.."
                        + MAX_TAG_BYTES + " bytes");
            }
            tags.add(t.toLowerCase(Locale.ROOT));
        }
        return m.toBuilder().clearTags().addAllTags(tags).build();
    }

    static ContentMetadata metadata(StoredContent c) {
        try {
            return ContentMetadata.parseFrom(c.metadata());
        } catch (InvalidProtocolBufferException e) {
            return ContentMetadata.getDefaultInstance(); // advisory; a damaged record still serves its content
        }
    }

    static dev.p2psuite.proto.common.v1.Manifest toProto(StoredContent c) {
        Manifest m = c.manifest();
        dev.p2psuite.proto.common.v1.Manifest.Builder b = dev.p2psuite.proto.common.v1.Manifest.newBuilder()
                .setSizeBytes(m.sizeBytes())
                .setPieceSize(m.pieceSize())
                .setMetadata(metadata(c));
        for (int i = 0; i < m.pieceCount(); i++) {
            b.addPieceHashes(ByteString.copyFrom(m.pieceHashView(i)));
        }
        return b.build();
    }

    /** A manifest from a peer (fields 1-3); the caller still verifies it against the content ID. */
    static Manifest fromProto(dev.p2psuite.proto.common.v1.Manifest proto) {
        if (proto.getPieceHashesCount() > Manifest.MAX_PIECES) {
            throw new dev.p2psuite.storage.core.InvalidManifestException("manifest lists "
                    + proto.getPieceHashesCount() + " pieces, at most " + Manifest.MAX_PIECES);
        }
        List<byte[]> hashes = new ArrayList<>(proto.getPieceHashesCount());
        for (ByteString h : proto.getPieceHashesList()) {
            hashes.add(h.toByteArray());
        }
        return Manifest.of(proto.getSizeBytes(), proto.getPieceSize(), hashes);
    }

    static ContentSummary summary(StoredContent c, Bitfield held, boolean fetching) {
        Manifest m = c.manifest();
        return ContentSummary.newBuilder()
                .setContentId(toProto(c.contentId()))
                .setMetadata(metadata(c))
                .setSizeBytes(m.sizeBytes())
                .setPieceSize(m.pieceSize())
                .setPieceCount(m.pieceCount())
                .setPiecesHeld(held.cardinality())
                .setComplete(held.isComplete())
                .setAddedUnixMs(c.addedUnixMs())
                .setFetching(fetching)
                .build();
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
