package dev.p2psuite.dht.search;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One matching content at one provider (search_peer.proto SearchHit). As received it is unchecked: {@link HitVerifier}
 * decides whether it may be passed on. {@code provider} is null when the wire form was malformed.
 *
 * @param hops hops from the node that sent this hit to the provider (0 = that node itself); not signed
 */
public record Hit(byte[] contentId, String name, long sizeBytes, String mediaType, List<String> tags,
                  SignedPeerRecord provider, byte[] signature, int hops) {

    /** What makes hits the same: content and provider (SearchInternal deduplicates by it). */
    public record Key(String contentIdHex, NodeId provider) {
    }

    public Hit {
        contentId = contentId == null ? new byte[0] : contentId.clone();
        name = name == null ? "" : name;
        mediaType = mediaType == null ? "" : mediaType;
        tags = tags == null ? List.of() : List.copyOf(tags);
        signature = signature == null ? new byte[0] : signature.clone();
    }

    /** This node's own hit for {@code content}, signed for query {@code queryId}. */
    static Hit own(byte[] queryId, IndexedContent content, SignedPeerRecord self, NodeKey key) {
        return new Hit(content.contentId(), content.name(), content.sizeBytes(), content.mediaType(), content.tags(),
                self, HitSignature.sign(key, queryId, content.contentId(), content.sizeBytes(), content.name()), 0);
    }

    @Override
    public byte[] contentId() {
        return contentId.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    public Hit withHops(int h) {
        return new Hit(contentId, name, sizeBytes, mediaType, tags, provider, signature, h);
    }

    public Key key() {
        return new Key(HexFormat.of().formatHex(contentId), provider == null ? null : provider.nodeId());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hit h && Arrays.equals(contentId, h.contentId) && name.equals(h.name)
                && sizeBytes == h.sizeBytes && mediaType.equals(h.mediaType) && tags.equals(h.tags)
                && Objects.equals(provider, h.provider) && Arrays.equals(signature, h.signature)
                && hops == h.hops;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(contentId) * 31 + Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "Hit[" + HexFormat.of().formatHex(contentId) + " '" + name + "' at "
                + (provider == null ? "?" : provider.nodeId().toHex()) + ", hops " + hops + "]";
    }
}
