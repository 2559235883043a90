package dev.p2psuite.dht.sim.search;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.search.Hit;
import dev.p2psuite.dht.search.HitSink;
import dev.p2psuite.dht.search.IndexedContent;
import dev.p2psuite.dht.search.MetadataIndex;
import dev.p2psuite.dht.search.SearchParams;
import dev.p2psuite.dht.search.SearchSettings;
import dev.p2psuite.dht.search.SearchStats;
import dev.p2psuite.dht.sim.SimCluster;
import dev.p2psuite.dht.sim.SimNetwork;
import dev.p2psuite.dht.sim.SimNode;
import dev.p2psuite.identity.NodeId;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * {@code bench/flood}: the real flood search on a simulated network. Builds N nodes joined through the real Kademlia
 * bootstrap (one partition, virtual time), places each of C contents on a fraction of the nodes, then for each TTL
 * runs the same Q searches (a content's unique word and its media type prefix, from a random node) with a fresh
 * engine on every node and measures: recall (share of the nodes holding a match, the asker excluded, that the
 * search found), Query calls per search, and the latency of hits (virtual ms from the search's start to each hit's
 * arrival at the asker). One line per TTL on stdout, in the order given (default 2, 3, 4).
 */
public final class FloodSimulation {

    private static final String[] MEDIA = {"video/mp4", "audio/ogg", "image/png", "text/plain", "application/pdf"};
    private static final String[] WORDS = {"big", "buck", "bunny", "sintel", "tears", "steel", "elephants", "dream",
        "cosmos", "laundromat", "spring", "agent", "caminandes", "llama", "glass", "half"};

    /** Everything a run depends on; the same options give the same figures. */
    public record Options(int nodes, long seed, int queries, int contents, double replication, int neighbours,
                          List<Integer> ttls, long latencyMinMs, long latencyMaxMs, long timeoutMs, long spacingMs,
                          long hopMarginMs) {

        static Options defaults() {
            return new Options(1_000, 1, 200, 100, 0.01, 8, List.of(2, 3, 4), 10, 100, 5_000, 500, 250);
        }
    }

    /** The figures for one TTL. */
    public record Report(int nodes, int ttl, double recall, double msgsPerQuery, double hitsP50Ms, double hitsP95Ms,
                         double firstHitP50Ms, double reach, double hitMsgsPerQuery, long rateLimited, long dropped,
                         int queries, int holdersPerContent, int neighbours) {

        public String line() {
            return String.format(Locale.ROOT, "nodes=%d ttl=%d recall=%.3f msgs_per_query=%.1f hits_p50_ms=%.1f"
                            + " hits_p95_ms=%.1f first_hit_p50_ms=%.1f reach=%.3f hit_msgs_per_query=%.1f"
                            + " rate_limited=%d hits_dropped=%d queries=%d holders=%d neighbours=%d",
                    nodes, ttl, recall, msgsPerQuery, hitsP50Ms, hitsP95Ms, firstHitP50Ms, reach, hitMsgsPerQuery,
                    rateLimited, dropped, queries, holdersPerContent, neighbours);
        }
    }

    private FloodSimulation() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("flood: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        for (Report r : run(o, msg -> System.err.println("[flood] " + msg))) {
            System.out.println(r.line());
        }
    }

    static String usage() {
        return "usage: flood [--nodes N] [--seed S] [--queries Q] [--contents C] [--replication FRACTION]"
                + " [--neighbours N] [--ttls 2,3,4] [--latency-ms MIN:MAX] [--timeout-ms MS] [--spacing-ms MS]"
                + " [--hop-margin-ms MS]";
    }

    static Options parse(String[] args) {
        Options d = Options.defaults();
        int nodes = d.nodes();
        long seed = d.seed();
        int queries = d.queries();
        int contents = d.contents();
        double replication = d.replication();
        int neighbours = d.neighbours();
        List<Integer> ttls = d.ttls();
        long latMin = d.latencyMinMs();
        long latMax = d.latencyMaxMs();
        long timeout = d.timeoutMs();
        long spacing = d.spacingMs();
        long margin = d.hopMarginMs();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException("help");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + a);
            }
            String v = args[++i];
            switch (a) {
                case "--nodes" -> nodes = Integer.parseInt(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--queries" -> queries = Integer.parseInt(v);
                case "--contents" -> contents = Integer.parseInt(v);
                case "--replication" -> replication = Double.parseDouble(v);
                case "--neighbours" -> neighbours = Integer.parseInt(v);
                case "--ttls" -> ttls = Arrays.stream(v.split(",")).map(String::trim).map(Integer::parseInt).toList();
                case "--latency-ms" -> {
                    String[] p = v.split(":");
                    latMin = Long.parseLong(p[0]);
                    latMax = Long.parseLong(p.length > 1 ? p[1] : p[0]);
                }
                case "--timeout-ms" -> timeout = Long.parseLong(v);
                case "--spacing-ms" -> spacing = Long.parseLong(v);
                case "--hop-margin-ms" -> margin = Long.parseLong(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (nodes < 2 || queries < 1 || contents < 1 || !(replication > 0) || replication > 1 || neighbours < 1) {
            throw new IllegalArgumentException("need --nodes >= 2, --queries >= 1, --contents >= 1,"
                    + " 0 < --replication <= 1, --neighbours >= 1");
        }
        for (int t : ttls) {
            if (t < 1 || t > 7) {
                throw new IllegalArgumentException("each TTL must be 1..7, got " + t);
            }
        }
        return new Options(nodes, seed, queries, contents, replication, neighbours, ttls, latMin, latMax, timeout,
                spacing, margin);
    }

    /** One search of the workload: who asks, for which content, and who truly holds a match. */
    private record Ask(NodeId from, List<String> terms, Set<NodeId> holders) {
    }

    public static List<Report> run(Options o, Consumer<String> log) {
        long wallStart = System.nanoTime();
        SimNetwork.Conditions conditions = new SimNetwork.Conditions(o.latencyMinMs(), o.latencyMaxMs(), 0,
                Duration.ofSeconds(1));
        DhtSettings dht = DhtSettings.builder().requestTimeout(Duration.ofSeconds(1)).build();
        try (SimCluster cluster = new SimCluster(o.nodes(), o.seed(), conditions, dht, 1)) {
            int failures = cluster.joinAll(SimCluster.DEFAULT_MAX_JOIN_BATCH, log);
            cluster.time().runFor(Duration.ofMinutes(1)); // let late joiners' self-lookups settle
            log.accept(String.format(Locale.ROOT, "%d nodes joined (%d failures) after %.1f s wall", o.nodes(),
                    failures, (System.nanoTime() - wallStart) / 1e9));

            SplittableRandom random = new SplittableRandom(o.seed() * 31 + 7);
            List<SimNode> alive = cluster.alive();
            int holdersPerContent = Math.max(1, (int) Math.round(o.replication() * alive.size()));
            Map<NodeId, List<IndexedContent>> held = new HashMap<>();
            List<IndexedContent> catalogue = new ArrayList<>();
            List<Set<NodeId>> holders = new ArrayList<>();
            for (int c = 0; c < o.contents(); c++) {
                IndexedContent content = content(c, o.seed(), random);
                catalogue.add(content);
                Set<NodeId> at = new HashSet<>();
                while (at.size() < holdersPerContent) {
                    at.add(alive.get(random.nextInt(alive.size())).id());
                }
                for (NodeId id : at) {
                    held.computeIfAbsent(id, k -> new ArrayList<>()).add(content);
                }
                holders.add(at);
            }
            List<Ask> asks = new ArrayList<>();
            for (int q = 0; q < o.queries(); q++) {
                int c = random.nextInt(o.contents());
                IndexedContent content = catalogue.get(c);
                List<String> terms = List.of("item" + c, content.mediaType().substring(0, content.mediaType().indexOf('/')));
                NodeId from = alive.get(random.nextInt(alive.size())).id();
                Set<NodeId> truth = new HashSet<>();
                for (Map.Entry<NodeId, List<IndexedContent>> e : held.entrySet()) {
                    if (!e.getKey().equals(from) && e.getValue().stream().anyMatch(x -> MetadataIndex.matches(x, terms))) {
                        truth.add(e.getKey());
                    }
                }
                asks.add(new Ask(from, terms, truth));
            }

            List<Report> reports = new ArrayList<>();
            for (int ttl : o.ttls()) {
                reports.add(runTtl(o, cluster, held, asks, ttl, holdersPerContent, log));
                log.accept(String.format(Locale.ROOT, "ttl %d done after %.1f s wall", ttl,
                        (System.nanoTime() - wallStart) / 1e9));
            }
            return reports;
        }
    }

    private static Report runTtl(Options o, SimCluster cluster, Map<NodeId, List<IndexedContent>> held, List<Ask> asks,
                                 int ttl, int holdersPerContent, Consumer<String> log) {
        Map<NodeId, MetadataIndex> indexes = new HashMap<>();
        held.forEach((id, list) -> {
            MetadataIndex index = new MetadataIndex();
            index.replaceAll(list);
            indexes.put(id, index);
        });
        SearchSettings settings = SearchSettings.defaults().withNeighbours(o.neighbours())
                .withHopMargin(Duration.ofMillis(o.hopMarginMs()));
        SimSearchNetwork net = new SimSearchNetwork(cluster, settings, indexes, o.seed());
        var loop = cluster.time().loop(0);
        int n = asks.size();
        List<Set<NodeId>> found = new ArrayList<>();
        List<Long> hitLatencies = new ArrayList<>();
        long[] firstHit = new long[n];
        boolean[] done = new boolean[n];
        int[] finished = {0};
        long start = loop.millis() + 1_000;
        for (int i = 0; i < n; i++) {
            Ask ask = asks.get(i);
            Set<NodeId> got = new HashSet<>();
            found.add(got);
            firstHit[i] = -1;
            int slot = i;
            long at = start + i * o.spacingMs();
            loop.scheduleAt(at, () -> net.peer(ask.from()).search().originate(
                    new SearchParams(ask.terms(), ttl, 1_000, o.timeoutMs()), new HitSink() {
                        @Override
                        public void hits(List<Hit> hits) {
                            long ms = loop.millis() - at;
                            for (Hit h : hits) {
                                NodeId p = h.provider().nodeId();
                                if (!p.equals(ask.from())) {
                                    got.add(p);
                                    hitLatencies.add(ms);
                                    if (firstHit[slot] < 0) {
                                        firstHit[slot] = ms;
                                    }
                                }
                            }
                        }

                        @Override
                        public void completed() {
                            done[slot] = true;
                            finished[0]++;
                        }

                        @Override
                        public void failed(DhtRejection rejection) {
                            log.accept("search failed: " + rejection.getMessage());
                            done[slot] = true;
                            finished[0]++;
                        }
                    }));
        }
        cluster.time().runUntil(() -> finished[0] == n, n * o.spacingMs() + o.timeoutMs() + 60_000);
        // Let cancellations and late stream ends drain, so the counters are complete.
        cluster.time().runFor(Duration.ofMillis(2 * o.latencyMaxMs() + 10));

        long truth = 0;
        long hits = 0;
        for (int i = 0; i < n; i++) {
            Set<NodeId> h = asks.get(i).holders();
            truth += h.size();
            for (NodeId id : found.get(i)) {
                if (h.contains(id)) {
                    hits++;
                }
            }
        }
        long rateLimited = 0;
        long dropped = 0;
        long reached = 0;
        for (SimSearchNetwork.Peer p : net.peers()) {
            SearchStats s = p.search().stats();
            rateLimited += s.queriesRateLimited();
            dropped += s.hitsDropped();
            reached += s.queriesReceived() - s.queriesDuplicate();
        }
        long[] lat = hitLatencies.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] first = Arrays.stream(firstHit).filter(x -> x >= 0).sorted().toArray();
        int unfinished = 0;
        for (boolean d : done) {
            unfinished += d ? 0 : 1;
        }
        if (unfinished > 0) {
            log.accept(unfinished + " searches did not finish");
        }
        int others = net.peers().size() - 1;
        return new Report(cluster.alive().size(), ttl, truth == 0 ? 1 : (double) hits / truth,
                (double) net.calls() / n, median(lat, 50), median(lat, 95), median(first, 50),
                (double) reached / n / others, (double) net.responseMessages() / n, rateLimited, dropped, n,
                holdersPerContent, o.neighbours());
    }

    private static double median(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    /** Content {@code c}: a synthetic ID, a name with a unique word "item{c}", a media type and a tag. */
    private static IndexedContent content(int c, long seed, SplittableRandom random) {
        byte[] id = new byte[34];
        id[0] = 0x12;
        id[1] = 0x20;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(("content-" + seed + "-" + c)
                    .getBytes(StandardCharsets.UTF_8));
            System.arraycopy(digest, 0, id, 2, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        String media = MEDIA[c % MEDIA.length];
        String name = WORDS[random.nextInt(WORDS.length)] + " " + WORDS[random.nextInt(WORDS.length)] + " item" + c
                + "." + media.substring(media.indexOf('/') + 1);
        return new IndexedContent(id, name, 1_000_000L + random.nextInt(1_000_000), media,
                List.of("tag" + (c % 10)));
    }
}
