package dev.p2psuite.dht.sim;

import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The deterministic DHT simulation behind {@code bench/dht-sim}: builds a network of real {@link DhtNode}s joined
 * through bootstrap, measures lookups against the true k closest, puts and gets values, kills half the nodes at
 * once, lets one refresh/republish interval pass, and gets every value again. Progress goes to stderr; the last
 * line on stdout is the {@code key=value} summary.
 */
public final class DhtSimulation {

    /** Everything a run depends on; the same options and seed give the same figures. */
    public record Options(int nodes, long seed, int lookups, int values, long latencyMinMs, long latencyMaxMs,
                          double loss, double killFraction, Duration rpcTimeout, Duration refreshInterval,
                          Duration republishInterval, Duration pexInterval, int pexPeers, int maxJoinBatch,
                          int threads, SimNetwork.LatencyDistribution latencyDistribution, double churnPerMinute) {

        static Options defaults() {
            // Refresh hourly, as the Kademlia paper has it (section 2.3), so one interval is one refresh and one
            // republish; BEP 5's 15 minutes (the service default) is --refresh-s 900.
            return new Options(10_000, 1, 1_000, 1_000, 10, 100, 0, 0.5, Duration.ofSeconds(1),
                    dev.p2psuite.dht.core.Kademlia.VALUE_REPUBLISH_INTERVAL,
                    dev.p2psuite.dht.core.Kademlia.VALUE_REPUBLISH_INTERVAL,
                    dev.p2psuite.dht.core.Kademlia.PEX_INTERVAL, 1, SimCluster.DEFAULT_MAX_JOIN_BATCH,
                    SimTime.DEFAULT_PARTITIONS, SimNetwork.LatencyDistribution.UNIFORM, 0);
        }

        DhtSettings settings() {
            return DhtSettings.builder()
                    .requestTimeout(rpcTimeout)
                    .refreshInterval(refreshInterval)
                    .valueRepublishInterval(republishInterval)
                    .pexInterval(pexInterval)
                    .pexPeersPerRound(pexPeers)
                    .build();
        }
    }

    /** The figures of a run. */
    public record Report(int nodes, int lookups, double exactK, int roundsP50, int roundsP99, int msgsP50,
                         int msgsP99, long lookupMsP50, double valueSuccess, double valueSuccessAfterChurn,
                         double storedAvg, int joinFailures, long messages, double wallSeconds, long virtualSeconds,
                         long seed, int threads) {

        public String line() {
            return String.format(Locale.ROOT, "nodes=%d lookups=%d exact_k=%.3f rounds_p50=%d rounds_p99=%d msgs_p50=%d"
                            + " value_success=%.3f value_success_after_churn=%.3f msgs_p99=%d lookup_ms_p50=%d"
                            + " stored_avg=%.1f join_failures=%d messages=%d virtual_s=%d wall_s=%.1f seed=%d"
                            + " threads=%d",
                    nodes, lookups, exactK, roundsP50, roundsP99, msgsP50, valueSuccess, valueSuccessAfterChurn,
                    msgsP99, lookupMsP50, storedAvg, joinFailures, messages, virtualSeconds, wallSeconds, seed,
                    threads);
        }
    }

    private DhtSimulation() {
    }

    public static void main(String[] args) {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("dht-sim: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        Report r = run(o, msg -> System.err.println("[dht-sim] " + msg));
        System.out.println(r.line());
    }

    static String usage() {
        return "usage: dht-sim [--nodes N] [--seed S] [--lookups L] [--values V] [--latency-ms MIN:MAX] [--loss P]"
                + " [--kill FRACTION] [--timeout-ms MS] [--refresh-s S] [--republish-s S] [--pex-s S]"
                + " [--pex-peers N] [--join-batch N] [--threads N] [--latency-dist uniform|exponential]"
                + " [--churn-per-min FRACTION]";
    }

    static Options parse(String[] args) {
        Options d = Options.defaults();
        int nodes = d.nodes();
        long seed = d.seed();
        int lookups = d.lookups();
        int values = d.values();
        long latMin = d.latencyMinMs();
        long latMax = d.latencyMaxMs();
        double loss = d.loss();
        double kill = d.killFraction();
        Duration timeout = d.rpcTimeout();
        Duration refresh = d.refreshInterval();
        Duration republish = d.republishInterval();
        Duration pex = d.pexInterval();
        int pexPeers = d.pexPeers();
        int batch = d.maxJoinBatch();
        int threads = d.threads();
        SimNetwork.LatencyDistribution dist = d.latencyDistribution();
        double churn = d.churnPerMinute();
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
                case "--lookups" -> lookups = Integer.parseInt(v);
                case "--values" -> values = Integer.parseInt(v);
                case "--latency-ms" -> {
                    String[] p = v.split(":");
                    latMin = Long.parseLong(p[0]);
                    latMax = Long.parseLong(p.length > 1 ? p[1] : p[0]);
                }
                case "--loss" -> loss = Double.parseDouble(v);
                case "--kill" -> kill = Double.parseDouble(v);
                case "--timeout-ms" -> timeout = Duration.ofMillis(Long.parseLong(v));
                case "--refresh-s" -> refresh = Duration.ofSeconds(Long.parseLong(v));
                case "--republish-s" -> republish = Duration.ofSeconds(Long.parseLong(v));
                case "--pex-s" -> pex = Duration.ofSeconds(Long.parseLong(v));
                case "--pex-peers" -> pexPeers = Integer.parseInt(v);
                case "--join-batch" -> batch = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--latency-dist" -> dist = SimNetwork.LatencyDistribution.valueOf(v.toUpperCase(Locale.ROOT));
                case "--churn-per-min" -> churn = Double.parseDouble(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (nodes < 2) {
            throw new IllegalArgumentException("--nodes must be at least 2");
        }
        return new Options(nodes, seed, lookups, values, latMin, latMax, loss, kill, timeout, refresh, republish, pex,
                pexPeers, batch, threads, dist, churn);
    }

    public static Report run(Options o, java.util.function.Consumer<String> log) {
        long wallStart = System.nanoTime();
        log.accept(String.format(Locale.ROOT, "nodes=%d seed=%d threads=%d latency=%d..%d ms loss=%.3f timeout=%d ms"
                        + " refresh=%d s republish=%d s pex=%d s x%d", o.nodes(), o.seed(), o.threads(),
                o.latencyMinMs(), o.latencyMaxMs(),
                o.loss(), o.rpcTimeout().toMillis(), o.refreshInterval().toSeconds(),
                o.republishInterval().toSeconds(), o.pexInterval().toSeconds(), o.pexPeers()));
        SimNetwork.Conditions conditions = new SimNetwork.Conditions(o.latencyMinMs(), o.latencyMaxMs(), o.loss(),
                o.rpcTimeout(), o.latencyDistribution());
        try (SimCluster cluster = new SimCluster(o.nodes(), o.seed(), conditions, o.settings(), o.threads())) {
            return run(o, log, cluster, wallStart);
        }
    }

    private static Report run(Options o, java.util.function.Consumer<String> log, SimCluster cluster, long wallStart) {
        log.accept(String.format(Locale.ROOT, "%d keys and signed records ready after %.1f s", o.nodes(),
                secondsSince(wallStart)));

        int joinFailures = cluster.joinAll(o.maxJoinBatch(), log);
        log.accept(String.format(Locale.ROOT,
                "all %d nodes joined after %.1f s, cpu %.1f s (virtual %d s, %d messages, %d failed)",
                o.nodes(), secondsSince(wallStart), cpuSeconds(), cluster.time().elapsedMs() / 1000,
                cluster.network().messages(),
                joinFailures));

        int k = o.settings().k();
        List<SimCluster.LookupSample> samples = cluster.lookups(o.lookups(), k);
        int exact = 0;
        int[] rounds = new int[samples.size()];
        int[] msgs = new int[samples.size()];
        long[] ms = new long[samples.size()];
        for (int i = 0; i < samples.size(); i++) {
            SimCluster.LookupSample s = samples.get(i);
            exact += s.exact() ? 1 : 0;
            rounds[i] = s.rounds();
            msgs[i] = s.messages();
            ms[i] = s.virtualMs();
        }
        double exactK = samples.isEmpty() ? 0 : (double) exact / samples.size();
        log.accept(String.format(Locale.ROOT, "%d lookups: exact_k=%.4f after %.1f s", samples.size(), exactK,
                secondsSince(wallStart)));

        // Values: put from random nodes, get each from another random node.
        List<NodeId> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        List<SimNode> publishers = new ArrayList<>();
        List<CompletableFuture<DhtNode.PutResult>> puts = new ArrayList<>();
        for (int i = 0; i < o.values(); i++) {
            SimNode p = cluster.randomAlive();
            NodeId key = NodeId.random(cluster.random());
            byte[] value = new byte[64 + cluster.random().nextInt(192)];
            cluster.random().nextBytes(value);
            keys.add(key);
            values.add(value);
            publishers.add(p);
            puts.add(p.node().put(key, value, Duration.ZERO));
        }
        List<DhtNode.PutResult> stored = cluster.await(puts, 10 * 60_000L);
        reportFailures("put", puts, log);
        double storedSum = 0;
        for (DhtNode.PutResult r : stored) {
            storedSum += r == null ? 0 : r.storedCount();
        }
        double valueSuccess = getAll(cluster, keys, values, publishers);
        log.accept(String.format(Locale.ROOT, "%d values: value_success=%.4f after %.1f s", keys.size(), valueSuccess,
                secondsSince(wallStart)));

        // Churn: half the nodes die at once, without notice; one refresh/republish interval passes.
        List<SimNode> alive = cluster.alive();
        int toKill = (int) Math.round(alive.size() * o.killFraction());
        for (int i = 0; i < toKill; i++) {
            int j = i + cluster.random().nextInt(alive.size() - i);
            SimNode victim = alive.get(j);
            alive.set(j, alive.get(i));
            alive.set(i, victim);
            cluster.network().kill(victim);
        }
        Duration interval = o.refreshInterval().compareTo(o.republishInterval()) >= 0 ? o.refreshInterval()
                : o.republishInterval();
        log.accept(String.format(Locale.ROOT, "killed %d nodes; advancing %d s of virtual time", toKill,
                interval.toSeconds()));
        long churnStart = cluster.time().millis();
        long reportEvery = Math.max(1, interval.toMillis() / 12);
        for (long t = reportEvery; t <= interval.toMillis(); t += reportEvery) {
            long until = churnStart + Math.min(t, interval.toMillis());
            if (o.churnPerMinute() > 0) {
                cluster.churn(o.churnPerMinute(), Duration.ofMillis(until - cluster.time().millis()));
            } else {
                cluster.time().runUntil(until);
            }
            log.accept(String.format(Locale.ROOT, "  virtual +%d s: %d messages, %.1f s, cpu %.1f s", t / 1000,
                    cluster.network().messages(), secondsSince(wallStart), cpuSeconds()));
        }
        cluster.time().runUntil(churnStart + interval.toMillis());
        double afterChurn = getAll(cluster, keys, values, null);
        StringBuilder kinds = new StringBuilder("messages by kind:");
        for (SimNetwork.Kind kind : SimNetwork.Kind.values()) {
            kinds.append(' ').append(kind.name().toLowerCase(Locale.ROOT)).append('=')
                    .append(cluster.network().messages(kind));
        }
        log.accept(kinds.toString());
        log.accept(String.format(Locale.ROOT, "after churn: value_success=%.4f after %.1f s, cpu %.1f s", afterChurn,
                secondsSince(wallStart), cpuSeconds()));

        return new Report(o.nodes(), samples.size(), exactK, percentile(rounds, 50), percentile(rounds, 99),
                percentile(msgs, 50), percentile(msgs, 99), percentile(ms, 50), valueSuccess, afterChurn,
                stored.isEmpty() ? 0 : storedSum / stored.size(), joinFailures, cluster.network().messages(),
                secondsSince(wallStart), cluster.time().elapsedMs() / 1000, o.seed(), cluster.time().partitions());
    }

    /** Gets every key from a random alive node (not its publisher, if given); the share found with the right value. */
    private static double getAll(SimCluster cluster, List<NodeId> keys, List<byte[]> values, List<SimNode> publishers) {
        if (keys.isEmpty()) {
            return 1;
        }
        List<CompletableFuture<DhtNode.GetResult>> gets = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            SimNode reader = cluster.randomAlive();
            while (publishers != null && reader == publishers.get(i)) {
                reader = cluster.randomAlive();
            }
            gets.add(reader.node().get(keys.get(i)));
        }
        List<DhtNode.GetResult> got = cluster.await(gets, 10 * 60_000L);
        reportFailures("get", gets, null);
        int ok = 0;
        for (int i = 0; i < keys.size(); i++) {
            DhtNode.GetResult r = got.get(i);
            if (r != null && r.found() && Arrays.equals(r.record().value(), values.get(i))) {
                ok++;
            }
        }
        return (double) ok / keys.size();
    }

    /** Logs how many operations failed or did not finish, with the first failure's cause. */
    private static void reportFailures(String what, List<? extends CompletableFuture<?>> ops,
                                       java.util.function.Consumer<String> log) {
        int pending = 0;
        int failed = 0;
        Throwable first = null;
        for (CompletableFuture<?> f : ops) {
            if (!f.isDone()) {
                pending++;
            } else if (f.isCompletedExceptionally()) {
                failed++;
                if (first == null) {
                    try {
                        f.join();
                    } catch (RuntimeException e) {
                        first = e.getCause() != null ? e.getCause() : e;
                    }
                }
            }
        }
        if (pending + failed > 0) {
            String msg = what + ": " + failed + " failed, " + pending + " unfinished" + (first == null ? ""
                    : "; first failure: " + first);
            if (log != null) {
                log.accept(msg);
            } else {
                System.err.println("[dht-sim] " + msg);
            }
        }
    }

    static int percentile(int[] xs, int p) {
        if (xs.length == 0) {
            return 0;
        }
        int[] s = xs.clone();
        Arrays.sort(s);
        return s[Math.max(0, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    static long percentile(long[] xs, int p) {
        if (xs.length == 0) {
            return 0;
        }
        long[] s = xs.clone();
        Arrays.sort(s);
        return s[Math.max(0, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    private static double secondsSince(long nanos) {
        return (System.nanoTime() - nanos) / 1e9;
    }

    /** CPU seconds of the simulating thread so far (the wall clock also counts other load on the machine). */
    static double cpuSeconds() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9;
    }
}
