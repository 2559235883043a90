package dev.p2psuite.bench;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentStart;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Content throughput against a running local network (started by {@code bench/put} / {@code bench/transfer}
 * with {@code ./p2p up}), through the gateways' client API as any gRPC user would call it.
 *
 * <pre>
 *   put      --file F --base-port P                    put F on node 1; prints size_mib= seconds= mb_per_s=
 *   transfer --file F --base-port P --seeders S        put F on nodes 1..S, then time a fresh get on node S+1,
 *                                                      verified byte for byte against F while it streams
 * </pre>
 * max_heap_mib= is the largest heap in use on any service during the get: the peak before each collection in the
 * services' GC logs ({@code bench/lib.sh} turns them on), so it costs the services nothing; without GC logs each
 * service's /q/metrics is polled every 250 ms instead (16 full Prometheus scrapes, which cost the services under test
 * about half a core).
 */
public final class ContentBench {

    private static final int CHUNK = 262_144;
    /** A service's HTTP port (metrics) is its gRPC port + 5 ({@code ./p2p}). */
    private static final int HTTP_PORT_OFFSET = 5;
    private static final List<String> SERVICES = List.of("gateway", "dht-service", "storage-service", "relay-service");

    private ContentBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path file = null;
        int basePort = 7000;
        int seeders = 3;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[++i]);
                case "--base-port" -> basePort = Integer.parseInt(args[++i]);
                case "--seeders" -> seeders = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (file == null) {
            throw new IllegalArgumentException("--file is required");
        }
        long size = Files.size(file);
        double mib = size / 1048576.0;
        List<ManagedChannel> gateways = new ArrayList<>();
        for (int node = 1; node <= seeders + 1; node++) {
            gateways.add(GrpcChannels.open("127.0.0.1:" + (basePort + 10 * (node - 1))));
        }
        try {
            if (mode.equals("put")) {
                warmUp(gateways.get(0), file);
                Map<String, Map<String, Long>> threadsBefore = threadTicks();
                Map<String, Long> cpuBefore = cpuTicks();
                long start = System.nanoTime();
                PutContentResponse put = put(gateways.get(0), file);
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.println("content_id=" + put.getContent().getContentId());
                System.out.println("service CPU seconds during the put: " + cpuSeconds(cpuBefore, cpuTicks()));
                printThreadCpu(threadsBefore, threadTicks());
                System.out.printf(Locale.ROOT, "size_mib=%.0f seconds=%.3f mb_per_s=%.1f cpu_s=%.2f%n", mib, seconds,
                        size / 1e6 / seconds, totalCpu(cpuBefore, cpuTicks()));
                return;
            }
            warmUpTransfer(gateways, seeders, file);
            String id = null;
            for (int node = 1; node <= seeders; node++) {
                long start = System.nanoTime();
                PutContentResponse put = put(gateways.get(node - 1), file);
                double seconds = (System.nanoTime() - start) / 1e9;
                id = put.getContent().getContentId();
                System.out.printf(Locale.ROOT, "put on node %d: %s %.0f MiB in %.2f s (%.1f MB/s), announced to %d%n",
                        node, id, mib, seconds, size / 1e6 / seconds, put.getProvidersAnnounced());
            }
            ManagedChannel downloader = gateways.get(seeders);
            // The get starts once the DHT lists every seeder, as the reference starts once its tracker does.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int found;
            do {
                found = NodeApiGrpc.newBlockingStub(downloader).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .findProviders(FindProvidersRequest.newBuilder().setContentId(id).build()).getProvidersCount();
            } while (found < seeders && System.nanoTime() < deadline && sleep(200));
            System.out.println("providers found by node " + (seeders + 1) + ": " + found);

            HeapPeak heap = HeapPeak.start(basePort, seeders + 1);
            Map<String, Map<String, Long>> threadsBefore = threadTicks();
            Map<String, Long> cpuBefore = cpuTicks();
            long start = System.nanoTime();
            boolean verified = getAndVerify(downloader, id, file);
            double seconds = (System.nanoTime() - start) / 1e9;
            heap.stop();
            heap.pauses().forEach((service, p) -> System.out.println("  " + service + " GC pauses: " + p));
            System.out.println("service CPU seconds during the get: " + cpuSeconds(cpuBefore, cpuTicks()));
            printThreadCpu(threadsBefore, threadTicks());
            System.out.printf(Locale.ROOT, "size_mib=%.0f seeders=%d seconds=%.3f mb_per_s=%.1f verified=%s "
                            + "cpu_s=%.2f max_heap_mib=%.0f max_heap_service=%s%n", mib, seeders, seconds,
                    size / 1e6 / seconds, verified, totalCpu(cpuBefore, cpuTicks()), heap.maxBytes() / 1048576.0,
                    heap.maxService());
        } finally {
            gateways.forEach(GrpcChannels::close);
        }
    }

    /**
     * CPU time (user + system, clock ticks) of every service process of the network, from /proc, by PID file name
     * ({@code ./p2p} keeps them in {@code $P2P_RUN_DIR/pids}): a cost figure that, unlike wall time, holds on a
     * busy machine.
     */
    private static Map<String, Long> cpuTicks() throws IOException {
        Map<String, Long> ticks = new TreeMap<>();
        Path pids = Path.of(System.getenv().getOrDefault("P2P_RUN_DIR", ".p2p"), "pids");
        if (!Files.isDirectory(pids)) {
            return ticks;
        }
        try (var files = Files.list(pids)) {
            for (Path f : files.toList()) {
                String pid = Files.readString(f).trim();
                try {
                    String stat = Files.readString(Path.of("/proc", pid, "stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(f.getFileName().toString().replace(".pid", ""),
                            Long.parseLong(fields[11]) + Long.parseLong(fields[12])); // utime, stime
                } catch (IOException e) {
                    // the process is gone; leave it out
                }
            }
        }
        return ticks;
    }

    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

    /**
     * CPU ticks per thread kind (thread name with digits folded: "C2 CompilerThre" is the JIT, "VM Thread" the serial
     * GC, event loops, I/O pools) of every service process: where a service's CPU goes, without a profiler.
     */
    private static Map<String, Map<String, Long>> threadTicks() throws IOException {
        Map<String, Map<String, Long>> all = new TreeMap<>();
        Path pids = Path.of(System.getenv().getOrDefault("P2P_RUN_DIR", ".p2p"), "pids");
        if (!Files.isDirectory(pids)) {
            return all;
        }
        try (var files = Files.list(pids)) {
            for (Path f : files.toList()) {
                String pid = Files.readString(f).trim();
                Map<String, Long> kinds = new TreeMap<>();
                try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
                    for (Path t : tasks.toList()) {
                        try {
                            String stat = Files.readString(t.resolve("stat"));
                            String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
                                    .replaceAll("\\d+", "N");
                            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                            kinds.merge(comm, Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
                        } catch (IOException | RuntimeException e) {
                            // the thread ended meanwhile
                        }
                    }
                } catch (IOException e) {
                    continue; // the process is gone
                }
                all.put(f.getFileName().toString().replace(".pid", ""), kinds);
            }
        }
        return all;
    }

    /** The busiest thread kinds of each service that used at least 0.5 CPU-s between the two snapshots. */
    private static void printThreadCpu(Map<String, Map<String, Long>> before, Map<String, Map<String, Long>> after) {
        after.forEach((service, kinds) -> {
            Map<String, Long> was = before.getOrDefault(service, Map.of());
            List<Map.Entry<String, Long>> used = new java.util.ArrayList<>();
            long total = 0;
            for (var e : kinds.entrySet()) {
                long d = e.getValue() - was.getOrDefault(e.getKey(), 0L);
                if (d > 0) {
                    used.add(Map.entry(e.getKey(), d));
                    total += d;
                }
            }
            if (total < 50) {
                return;
            }
            used.sort(Map.Entry.<String, Long>comparingByValue().reversed());
            StringBuilder line = new StringBuilder("  " + service + " threads:");
            for (var e : used.subList(0, Math.min(6, used.size()))) {
                line.append(String.format(Locale.ROOT, " [%s]=%.2f", e.getKey(), e.getValue() / TICKS_PER_SECOND));
            }
            System.out.println(line);
        });
    }

    private static String cpuSeconds(Map<String, Long> before, Map<String, Long> after) {
        StringBuilder out = new StringBuilder();
        after.forEach((name, t) -> out.append(String.format(Locale.ROOT, "%s=%.2f ", name,
                (t - before.getOrDefault(name, t)) / TICKS_PER_SECOND)));
        return out.toString().trim();
    }

    private static double totalCpu(Map<String, Long> before, Map<String, Long> after) {
        long sum = 0;
        for (var e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), e.getValue());
        }
        return sum / TICKS_PER_SECOND;
    }

    /**
     * Moves {@link #warmUpMib} MiB of other random bytes from the seeders to the downloader first, so the timed get measures the
     * services' compiled code (as in a node that has been running a while), not the JIT compiling it.
     */
    private static void warmUpTransfer(List<ManagedChannel> gateways, int seeders, Path file) throws Exception {
        Path warm = file.resolveSibling("warm-up.bin");
        int warmMib = warmUpMib();
        writeRandom(warm, warmMib);
        try {
            String id = null;
            for (int node = 1; node <= seeders; node++) {
                id = put(gateways.get(node - 1), warm).getContent().getContentId();
            }
            long start = System.nanoTime();
            boolean ok = getAndVerify(gateways.get(seeders), id, warm, false);
            System.out.printf(Locale.ROOT, "warm-up: %d MiB from %d seeders in %.2f s (verified=%s)%n", warmMib, seeders,
                    (System.nanoTime() - start) / 1e9, ok);
        } finally {
            Files.delete(warm);
        }
    }

    /** Puts {@link #warmUpMib} MiB of other random bytes first, so the figures are of compiled code, not of the JIT at work. */
    private static void warmUp(ManagedChannel gateway, Path file) throws Exception {
        Path warm = file.resolveSibling("warm-up.bin");
        writeRandom(warm, warmUpMib());
        try {
            put(gateway, warm);
        } finally {
            Files.delete(warm);
        }
    }

    /**
     * MiB moved before the timed part ({@code BENCH_WARMUP_MIB}, default {@value #DEFAULT_WARMUP_MIB}): a fresh service
     * JVM is still compiling its per-piece paths (thousands of methods, each reaching the JIT's thresholds at its own
     * pace) after the first 64 MiB; the timed part should measure a node that has been running a while.
     */
    private static int warmUpMib() {
        return Integer.parseInt(System.getenv().getOrDefault("BENCH_WARMUP_MIB", String.valueOf(DEFAULT_WARMUP_MIB)));
    }

    private static final int DEFAULT_WARMUP_MIB = 256;

    /** A file of {@code mib} MiB of random bytes, written 1 MiB at a time. */
    private static void writeRandom(Path file, int mib) throws IOException {
        java.util.Random random = new java.util.Random();
        byte[] block = new byte[1 << 20];
        try (var out = Files.newOutputStream(file)) {
            for (int i = 0; i < mib; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
    }

    private static boolean sleep(long ms) {
        try {
            Thread.sleep(ms);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Streams the file in, a chunk whenever the call is ready (never the whole file in memory). */
    static PutContentResponse put(ManagedChannel gateway, Path file) throws Exception {
        CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        long size = Files.size(file);
        InputStream in = Files.newInputStream(file);
        NodeApiGrpc.newStub(gateway).withDeadlineAfter(30, TimeUnit.MINUTES).putContent(
                new ClientResponseObserver<PutContentRequest, PutContentResponse>() {
                    boolean started;
                    boolean done;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<PutContentRequest> requests) {
                        requests.setOnReadyHandler(() -> {
                            try {
                                while (requests.isReady() && !done) {
                                    if (!started) {
                                        started = true;
                                        requests.onNext(PutContentRequest.newBuilder().setStart(PutContentStart.newBuilder()
                                                .setMetadata(ContentMetadata.newBuilder()
                                                        .setName(file.getFileName().toString()))
                                                .setExpectedSizeBytes(size)).build());
                                        continue;
                                    }
                                    byte[] chunk = in.readNBytes(CHUNK);
                                    if (chunk.length == 0) {
                                        done = true;
                                        in.close();
                                        requests.onCompleted();
                                    } else {
                                        requests.onNext(PutContentRequest.newBuilder() // a fresh array: no copy
                                                .setChunk(com.google.protobuf.UnsafeByteOperations.unsafeWrap(chunk))
                                                .build());
                                    }
                                }
                            } catch (IOException e) {
                                requests.cancel("reading " + file + " failed", e);
                            }
                        });
                    }

                    @Override
                    public void onNext(PutContentResponse value) {
                        result.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    /** Gets the content and compares every chunk with the same bytes of the file as it arrives. */
    static boolean getAndVerify(ManagedChannel gateway, String id, Path file) throws IOException {
        return getAndVerify(gateway, id, file, true);
    }

    static boolean getAndVerify(ManagedChannel gateway, String id, Path file, boolean report) throws IOException {
        Iterator<GetContentResponse> stream = NodeApiGrpc.newBlockingStub(gateway)
                .withDeadlineAfter(30, TimeUnit.MINUTES)
                .getContent(GetContentRequest.newBuilder().setContentId(id).setProgress(true).build());
        boolean same = true;
        long start = System.nanoTime();
        long lastReport = 0;
        long received = 0;
        // The comparison runs on the same 2 cores as the nodes: one reused buffer for the expected bytes and a
        // vectorized compare against the chunk's own buffer, no copy of the chunk.
        byte[] expectedBytes = new byte[0];
        try (InputStream expected = Files.newInputStream(file)) {
            while (stream.hasNext()) {
                GetContentResponse message = stream.next();
                long now = System.nanoTime();
                if (report && message.hasProgress() && now - lastReport > 500_000_000L) { // the download as it goes
                    lastReport = now;
                    var p = message.getProgress();
                    System.err.printf(Locale.ROOT, "  %5.1f s  %d/%d pieces verified  %d peers  %.1f MB/s  %.1f MiB streamed%n",
                            (now - start) / 1e9, p.getPiecesDone(), p.getPiecesTotal(), p.getPeers(),
                            p.getRateBytesPerS() / 1e6, received / 1048576.0);
                }
                if (!message.hasChunk()) {
                    continue;
                }
                if (report && received == 0) {
                    System.err.printf(Locale.ROOT, "  %5.2f s  first chunk%n", (now - start) / 1e9);
                }
                ByteString data = message.getChunk().getData();
                int n = data.size();
                if (expectedBytes.length < n) {
                    expectedBytes = new byte[n];
                }
                same &= message.getChunk().getOffset() == received
                        && expected.readNBytes(expectedBytes, 0, n) == n
                        && data.asReadOnlyByteBuffer().equals(java.nio.ByteBuffer.wrap(expectedBytes, 0, n));
                received += n;
            }
            same &= expected.read() < 0;
        }
        return same && received == Files.size(file);
    }

    /** Polls each service's heap use (Micrometer jvm_memory_used_bytes, area heap) and keeps the maximum. */
    /** The largest heap in use on any service over a span: from GC logs if the services write them, else polled. */
    interface HeapPeak {
        void stop();

        long maxBytes();

        String maxService();

        /** Per service, the GC pauses between start and stop ("young=12 full=3 ms=210"); empty if not known. */
        default Map<String, String> pauses() {
            return Map.of();
        }

        static HeapPeak start(int basePort, int nodes) throws IOException {
            GcLogPeak logs = GcLogPeak.start(nodes);
            return logs != null ? logs : new HeapSampler(basePort, nodes);
        }
    }

    /**
     * Reads the services' GC logs ({@code -Xlog:gc}, one per process in the run's log directory) from where they stood
     * at the start: every "Pause ... 60M->20M(123M)" line gives the heap in use just before that collection, which is
     * the peak between collections.
     */
    private static final class GcLogPeak implements HeapPeak {
        private static final Pattern PAUSE = Pattern.compile(
                "Pause (\\w+).* (\\d+)([KMG])->(\\d+)([KMG])\\(\\d+[KMG]\\) (\\d+\\.\\d+)ms");
        private final Map<String, Long> offsets;
        /** Per service: young and full pauses and their total milliseconds, e.g. "young=12 full=3 ms=210". */
        private final Map<String, String> pauses = new TreeMap<>();
        private long max;
        private String maxService = "";

        private GcLogPeak(Map<String, Long> offsets) {
            this.offsets = offsets;
        }

        static GcLogPeak start(int nodes) throws IOException {
            Path dir = Path.of(System.getenv().getOrDefault("P2P_RUN_DIR", ".p2p"), "logs");
            Map<String, Long> offsets = new TreeMap<>();
            for (int node = 1; node <= nodes; node++) {
                for (String service : SERVICES) {
                    Path log = dir.resolve("node" + node + "-" + service + ".gc.log");
                    if (!Files.isRegularFile(log)) {
                        return null;
                    }
                    offsets.put(log.toString(), Files.size(log));
                }
            }
            return new GcLogPeak(offsets);
        }

        @Override
        public void stop() {
            for (var e : offsets.entrySet()) {
                Path log = Path.of(e.getKey());
                String text;
                try (var in = Files.newInputStream(log)) {
                    in.skipNBytes(e.getValue());
                    text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IOException ex) {
                    continue;
                }
                String service = log.getFileName().toString().replace(".gc.log", "");
                Matcher m = PAUSE.matcher(text);
                int young = 0;
                int full = 0;
                double ms = 0;
                while (m.find()) {
                    long before = bytes(m.group(2), m.group(3));
                    if (before > max) {
                        max = before;
                        maxService = service;
                    }
                    if (m.group(1).equals("Full")) {
                        full++;
                    } else {
                        young++;
                    }
                    ms += Double.parseDouble(m.group(6));
                }
                if (ms >= 20) {
                    pauses.put(service, String.format(Locale.ROOT, "young=%d full=%d ms=%.0f", young, full, ms));
                }
            }
        }

        @Override
        public Map<String, String> pauses() {
            return pauses;
        }

        private static long bytes(String n, String unit) {
            long v = Long.parseLong(n);
            return switch (unit) {
                case "K" -> v << 10;
                case "M" -> v << 20;
                default -> v << 30;
            };
        }

        @Override
        public long maxBytes() {
            return max;
        }

        @Override
        public String maxService() {
            return maxService;
        }
    }

    private static final class HeapSampler implements HeapPeak {
        private static final Pattern HEAP = Pattern.compile("^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} (\\S+)$",
                Pattern.MULTILINE);
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private final HttpClient http = HttpClient.newHttpClient();
        private final AtomicLong max = new AtomicLong();
        private volatile String maxService = "";

        HeapSampler(int basePort, int nodes) {
            timer.scheduleAtFixedRate(() -> {
                for (int node = 1; node <= nodes; node++) {
                    for (int s = 0; s < SERVICES.size(); s++) {
                        long used = heapUsed(basePort + 10 * (node - 1) + s);
                        if (used > max.get()) {
                            max.set(used);
                            maxService = "node" + node + "-" + SERVICES.get(s);
                        }
                    }
                }
            }, 0, 250, TimeUnit.MILLISECONDS);
        }

        private long heapUsed(int port) {
            try {
                String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (port + HTTP_PORT_OFFSET) + "/q/metrics"))
                        .timeout(java.time.Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = HEAP.matcher(metrics);
                double sum = 0;
                while (m.find()) {
                    sum += Double.parseDouble(m.group(1));
                }
                return (long) sum;
            } catch (IOException e) {
                return 0; // not answering this time; the next sample asks again
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }

        @Override
        public void stop() {
            timer.shutdownNow();
        }

        @Override
        public long maxBytes() {
            return max.get();
        }

        @Override
        public String maxService() {
            return maxService;
        }
    }
}
