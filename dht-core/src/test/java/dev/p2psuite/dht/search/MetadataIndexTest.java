package dev.p2psuite.dht.search;

import static dev.p2psuite.dht.search.SearchTestNet.content;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The matching rule of search_peer.proto, and the index agreeing with it. */
class MetadataIndexTest {

    private final IndexedContent bunny = content("Big_Buck-Bunny (1080p).MP4", "video/mp4", "Animation", "blender");
    private final IndexedContent notes = content("meeting notes.txt", "text/plain; charset=utf-8", "work");
    private final IndexedContent noMeta = content("", "");

    @Test
    void aTermMatchesAWordOfTheNameCaseInsensitively() {
        assertThat(MetadataIndex.matches(bunny, List.of("BUNNY"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("big"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("1080p"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("mp4"))).as("the extension is a word too").isTrue();
    }

    @Test
    void aTermMustBeAWholeWordNotAPartOfOne() {
        assertThat(MetadataIndex.matches(bunny, List.of("bun"))).isFalse();
        assertThat(MetadataIndex.matches(bunny, List.of("big_buck"))).isFalse();
        assertThat(MetadataIndex.matches(bunny, List.of("big buck"))).isFalse();
    }

    @Test
    void aTermMatchesATagOrTheMediaTypeWholeOrItsTypePrefix() {
        assertThat(MetadataIndex.matches(bunny, List.of("animation"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("Video"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("video/mp4"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("mp4", "video/MP4"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("audio"))).isFalse();
        assertThat(MetadataIndex.matches(notes, List.of("text/plain"))).as("parameters aside").isTrue();
        assertThat(MetadataIndex.matches(notes, List.of("text"))).isTrue();
        assertThat(MetadataIndex.matches(notes, List.of("plain"))).as("the subtype alone is no prefix").isFalse();
    }

    @Test
    void everyTermMustMatch() {
        assertThat(MetadataIndex.matches(bunny, List.of("bunny", "video", "blender"))).isTrue();
        assertThat(MetadataIndex.matches(bunny, List.of("bunny", "audio"))).isFalse();
        assertThat(MetadataIndex.matches(noMeta, List.of("x"))).isFalse();
        assertThat(MetadataIndex.matches(bunny, List.of())).isFalse();
    }

    @Test
    void unicodeWordsAndTermsCompareCaseInsensitively() {
        IndexedContent c = content("Ünïcode Straße — Été.flac", "audio/flac");
        assertThat(MetadataIndex.matches(c, List.of("ÜNÏCODE", "été", "straße"))).isTrue();
    }

    @Test
    void theIndexFindsExactlyWhatTheRuleMatchesInIndexOrder() {
        // Seeded property loop: random names and queries; the index agrees with the rule, capped by the limit.
        String[] vocab = {"alpha", "beta", "Gamma", "delta", "EPS", "zeta", "eta", "theta"};
        String[] media = {"video/mp4", "audio/ogg", "image/png", ""};
        for (long seed = 1; seed <= 50; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            List<IndexedContent> all = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String name = vocab[r.nextInt(vocab.length)] + "-" + vocab[r.nextInt(vocab.length)] + "." + i;
                all.add(content(name + " #" + seed, media[r.nextInt(media.length)], vocab[r.nextInt(vocab.length)]));
            }
            MetadataIndex index = new MetadataIndex();
            index.replaceAll(all);
            for (int q = 0; q < 20; q++) {
                List<String> terms = new ArrayList<>();
                int n = 1 + r.nextInt(3);
                for (int t = 0; t < n; t++) {
                    terms.add(r.nextInt(5) == 0 ? "video" : vocab[r.nextInt(vocab.length)].toUpperCase());
                }
                List<IndexedContent> expected = all.stream().filter(c -> MetadataIndex.matches(c, terms)).toList();
                int limit = 1 + r.nextInt(10);
                assertThat(index.match(terms, 1_000)).as("seed %d terms %s", seed, terms).isEqualTo(expected);
                assertThat(index.match(terms, limit))
                        .isEqualTo(expected.subList(0, Math.min(limit, expected.size())));
            }
        }
    }

    @Test
    void replacingTheIndexReplacesEverythingAndKeepsOneEntryPerContentId() {
        MetadataIndex index = new MetadataIndex();
        index.replaceAll(List.of(bunny, notes));
        assertThat(index.size()).isEqualTo(2);
        IndexedContent renamed = new IndexedContent(bunny.contentId(), "Other name.mp4", 1, "video/mp4", List.of());
        index.replaceAll(List.of(bunny, renamed));
        assertThat(index.size()).isEqualTo(1);
        assertThat(index.match(List.of("bunny"), 10)).isEmpty();
        assertThat(index.match(List.of("other"), 10)).containsExactly(renamed);
        index.replaceAll(List.of());
        assertThat(index.match(List.of("other"), 10)).isEmpty();
    }

    @Test
    void contentsOverTheMetadataLimitsAreRefused() {
        byte[] id = bunny.contentId();
        assertThatThrownBy(() -> new IndexedContent(new byte[33], "x", 1, "", List.of()))
                .hasMessageContaining("content ID must be 34 bytes");
        assertThatThrownBy(() -> new IndexedContent(id, "x".repeat(256), 1, "", List.of()))
                .hasMessageContaining("name is 256 bytes; at most 255");
        assertThatThrownBy(() -> new IndexedContent(id, "x", 1, "v".repeat(128), List.of()))
                .hasMessageContaining("media type is 128 bytes");
        assertThatThrownBy(() -> new IndexedContent(id, "x", 1, "", java.util.Collections.nCopies(17, "t")))
                .hasMessageContaining("17 tags; at most 16");
        assertThat(new IndexedContent(id, "Mixed", 1, "", List.of("MiXeD")).tags()).containsExactly("mixed");
    }
}
