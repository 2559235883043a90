package dev.p2psuite.dht.search;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The metadata of the contents this node holds, and the matching rule of search_peer.proto: a content matches when
 * every term equals, case-insensitively, a word of its name, one of its tags, or its media type (whole, or its type
 * prefix such as "video"). A word is a maximal run of letters and digits ("Big_Buck-Bunny.mp4" has the words big,
 * buck, bunny, mp4). Thread-safe: readers see one immutable snapshot, {@link #replaceAll} swaps in the next.
 */
public final class MetadataIndex {

    private record Snapshot(List<IndexedContent> contents, List<Set<String>> tokens, Map<String, int[]> postings) {
    }

    private static final Snapshot EMPTY = new Snapshot(List.of(), List.of(), Map.of());

    private volatile Snapshot snapshot = EMPTY;

    public int size() {
        return snapshot.contents.size();
    }

    public List<IndexedContent> contents() {
        return snapshot.contents;
    }

    /** Replaces the whole index (a later entry with the same content ID replaces an earlier one). */
    public void replaceAll(Collection<IndexedContent> contents) {
        Map<String, IndexedContent> unique = new LinkedHashMap<>();
        for (IndexedContent c : contents) {
            unique.put(c.contentIdHex(), c);
        }
        List<IndexedContent> list = List.copyOf(unique.values());
        List<Set<String>> tokens = new ArrayList<>(list.size());
        Map<String, List<Integer>> postings = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Set<String> t = tokens(list.get(i));
            tokens.add(t);
            for (String token : t) {
                postings.computeIfAbsent(token, k -> new ArrayList<>()).add(i);
            }
        }
        Map<String, int[]> compact = new HashMap<>(postings.size() * 2);
        postings.forEach((k, v) -> compact.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        snapshot = new Snapshot(list, tokens, compact);
    }

    /** Contents matching every term, in index order, at most {@code limit}. */
    public List<IndexedContent> match(List<String> terms, int limit) {
        Snapshot s = snapshot;
        if (terms.isEmpty() || limit <= 0) {
            return List.of();
        }
        List<String> normal = new ArrayList<>(terms.size());
        int[] rarest = null;
        for (String term : terms) {
            String n = normalize(term);
            int[] p = s.postings.get(n);
            if (p == null) {
                return List.of();
            }
            normal.add(n);
            if (rarest == null || p.length < rarest.length) {
                rarest = p;
            }
        }
        List<IndexedContent> out = new ArrayList<>();
        for (int i : rarest) {
            if (s.tokens.get(i).containsAll(normal)) {
                out.add(s.contents.get(i));
                if (out.size() >= limit) {
                    break;
                }
            }
        }
        return out;
    }

    /** The rule itself, for one content (the simulator's ground truth, tests). */
    public static boolean matches(IndexedContent content, List<String> terms) {
        if (terms.isEmpty()) {
            return false;
        }
        Set<String> tokens = tokens(content);
        for (String t : terms) {
            if (!tokens.contains(normalize(t))) {
                return false;
            }
        }
        return true;
    }

    /** How a term is compared: trimmed and lowercased (Locale.ROOT). */
    static String normalize(String term) {
        return term.strip().toLowerCase(Locale.ROOT);
    }

    /** Everything a term can equal for {@code c}: its name's words, its tags, its media type and type prefix. */
    static Set<String> tokens(IndexedContent c) {
        Set<String> out = new HashSet<>(words(c.name()));
        for (String tag : c.tags()) {
            String t = normalize(tag);
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        String media = normalize(c.mediaType());
        if (!media.isEmpty()) {
            out.add(media);
            int semicolon = media.indexOf(';');
            String essence = semicolon < 0 ? media : media.substring(0, semicolon).strip();
            if (!essence.isEmpty()) {
                out.add(essence); // "text/plain; charset=utf-8" also matches "text/plain"
            }
            int slash = essence.indexOf('/');
            if (slash > 0) {
                out.add(essence.substring(0, slash)); // the type prefix: "video" of "video/mp4"
            }
        }
        return out;
    }

    /** The words of a name: maximal runs of letters and digits, lowercased. */
    static List<String> words(String name) {
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        name.codePoints().forEach(cp -> {
            if (Character.isLetterOrDigit(cp)) {
                word.appendCodePoint(cp);
            } else if (word.length() > 0) {
                out.add(word.toString().toLowerCase(Locale.ROOT));
                word.setLength(0);
            }
        });
        if (word.length() > 0) {
            out.add(word.toString().toLowerCase(Locale.ROOT));
        }
        return out;
    }
}
