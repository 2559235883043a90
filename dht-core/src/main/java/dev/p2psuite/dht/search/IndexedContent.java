package dev.p2psuite.dht.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One content this node holds, as the search index knows it: its ID, size and advisory metadata (types.proto
 * ContentMetadata). Tags are kept lowercased, as storage keeps them.
 */
public record IndexedContent(byte[] contentId, String name, long sizeBytes, String mediaType, List<String> tags) {

    /** @throws IllegalArgumentException if a field is over its types.proto limit */
    public IndexedContent {
        Objects.requireNonNull(contentId, "contentId");
        name = name == null ? "" : name;
        mediaType = mediaType == null ? "" : mediaType;
        tags = tags == null ? List.of() : tags;
        String problem = HitVerifier.contentProblem(contentId, name, mediaType, tags);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        contentId = contentId.clone();
        List<String> lower = new ArrayList<>(tags.size());
        for (String t : tags) {
            lower.add(t.toLowerCase(Locale.ROOT));
        }
        tags = List.copyOf(lower);
    }

    @Override
    public byte[] contentId() {
        return contentId.clone();
    }

    public String contentIdHex() {
        return HexFormat.of().formatHex(contentId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndexedContent c && Arrays.equals(contentId, c.contentId) && name.equals(c.name)
                && sizeBytes == c.sizeBytes && mediaType.equals(c.mediaType) && tags.equals(c.tags);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(contentId) * 31 + name.hashCode();
    }

    @Override
    public String toString() {
        return "IndexedContent[" + contentIdHex() + " '" + name + "' " + sizeBytes + " B " + mediaType + " " + tags + "]";
    }
}
