package dev.p2psuite.bench;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.proto.common.v1.ContentId;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.ReadContentResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.ManagedChannel;
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
import java.util.concurrent.TimeUnit;

/**
 * bench/gateway: what the gateway's client API costs over reading from storage-service directly, on one node.
 * Puts a file through the gateway (put_mb_per_s), then reads the held content alternately through the gateway
 * (NodeApi/GetContent: client → gateway → storage-service), directly from storage-service (StorageInternal/
 * ReadContent, the reference) and over HTTP ({@code GET /content/{id}}), several rounds, medians; then the latency
 * of getting a 1 KiB content held on the node through the gateway.
 */
public final class GatewayBench {

    private static final int GATEWAY_PORT_OFFSET = 0;
    private static final int STORAGE_PORT_OFFSET = 2;
    private static final int HTTP_PORT_OFFSET = 5;
    private static final int SMALL_BYTES = 1024;
    private static final int SMALL_WARM_UP = 200;
    /** Unmeasured reads of the whole content by each path before the measured rounds (rounds 1-2 ran slower). */
    private static final int WARM_ROUNDS = 2;

    private GatewayBench() {
    }

    public static void main(String[] args) throws Exception {
        Path file = null;
        int basePort = 7000;
        int rounds = 5;
        int smallGets = 1000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--file" -> file = Path.of(args[++i]);
                case "--base-port" -> basePort = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--small-gets" -> smallGets = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (file == null) {
            throw new IllegalArgumentException("--file is required");
        }
        long size = Files.size(file);
        ManagedChannel gateway = GrpcChannels.open("127.0.0.1:" + (basePort + GATEWAY_PORT_OFFSET));
        ManagedChannel storage = GrpcChannels.open("127.0.0.1:" + (basePort + STORAGE_PORT_OFFSET));
        HttpClient http = HttpClient.newHttpClient();
        String httpBase = "http://127.0.0.1:" + (basePort + HTTP_PORT_OFFSET);
        try {
            Path warm = Files.createTempFile("gateway-bench-warm", ".bin");
            try {
                Files.write(warm, random(16 << 20));
                String warmId = ContentBench.put(gateway, warm).getContent().getContentId();
                for (int i = 0; i < 5; i++) { // JIT warm-up of every path measured below
                    viaGateway(gateway, warmId);
                    direct(storage, warmId);
                    viaHttp(http, httpBase, warmId);
                }
            } finally {
                Files.deleteIfExists(warm);
            }

            long start = System.nanoTime();
            String id = ContentBench.put(gateway, file).getContent().getContentId();
            double putSeconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(Locale.ROOT, "put %.0f MiB through the gateway: %.2f s (%.1f MB/s), %s%n",
                    size / 1048576.0, putSeconds, size / 1e6 / putSeconds, id);

            for (int round = 0; round < WARM_ROUNDS; round++) { // the JIT settles on the real sizes; not measured
                viaGateway(gateway, id);
                direct(storage, id);
                viaHttp(http, httpBase, id);
            }
            double[] viaGateway = new double[rounds];
            double[] direct = new double[rounds];
            double[] viaHttp = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                viaGateway[round] = rate(size, () -> viaGateway(gateway, id));
                direct[round] = rate(size, () -> direct(storage, id));
                viaHttp[round] = rate(size, () -> viaHttp(http, httpBase, id));
                System.out.printf(Locale.ROOT, "round %d: gateway %.1f MB/s, storage-service directly %.1f MB/s, "
                        + "HTTP %.1f MB/s%n", round + 1, viaGateway[round], direct[round], viaHttp[round]);
            }

            Path small = Files.createTempFile("gateway-bench-small", ".bin");
            double[] latencies = new double[smallGets];
            try {
                Files.write(small, random(SMALL_BYTES));
                String smallId = ContentBench.put(gateway, small).getContent().getContentId();
                for (int i = 0; i < SMALL_WARM_UP; i++) {
                    viaGateway(gateway, smallId);
                }
                for (int i = 0; i < smallGets; i++) {
                    long t0 = System.nanoTime();
                    long got = viaGateway(gateway, smallId);
                    latencies[i] = (System.nanoTime() - t0) / 1e6;
                    if (got != SMALL_BYTES) {
                        throw new IllegalStateException("a small get returned " + got + " bytes");
                    }
                }
            } finally {
                Files.deleteIfExists(small);
            }
            Arrays.sort(latencies);
            double gatewayMedian = median(viaGateway);
            double directMedian = median(direct);
            System.out.printf(Locale.ROOT, "size_mib=%.0f put_mb_per_s=%.1f get_mb_per_s=%.1f direct_get_mb_per_s=%.1f "
                            + "ratio=%.2f http_get_mb_per_s=%.1f small_get_p50_ms=%.2f small_get_p95_ms=%.2f%n",
                    size / 1048576.0, size / 1e6 / putSeconds, gatewayMedian, directMedian, gatewayMedian / directMedian,
                    median(viaHttp), percentile(latencies, 0.50), percentile(latencies, 0.95));
        } finally {
            GrpcChannels.close(gateway);
            GrpcChannels.close(storage);
        }
    }

    /** NodeApi/GetContent through the gateway; bytes received. */
    static long viaGateway(ManagedChannel gateway, String id) {
        Iterator<GetContentResponse> stream = NodeApiGrpc.newBlockingStub(gateway)
                .withDeadlineAfter(10, TimeUnit.MINUTES)
                .getContent(GetContentRequest.newBuilder().setContentId(id).build());
        long received = 0;
        while (stream.hasNext()) {
            received += stream.next().getChunk().getData().size();
        }
        return received;
    }

    /** StorageInternal/ReadContent from storage-service itself: the reference the gateway is compared with. */
    static long direct(ManagedChannel storage, String id) {
        ContentId contentId = ContentId.newBuilder()
                .setValue(ByteString.copyFrom(dev.p2psuite.storage.core.ContentId.parse(id).bytes())).build();
        Iterator<ReadContentResponse> stream = StorageInternalGrpc.newBlockingStub(storage)
                .withDeadlineAfter(10, TimeUnit.MINUTES)
                .readContent(ReadContentRequest.newBuilder().setContentId(contentId).build());
        long received = 0;
        while (stream.hasNext()) {
            received += stream.next().getData().size();
        }
        return received;
    }

    /** GET /content/{id} on the gateway's HTTP port. */
    static long viaHttp(HttpClient http, String base, String id) throws Exception {
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(base + "/content/" + id))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /content/" + id + " answered " + response.statusCode());
        }
        long received = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = response.body()) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                received += n;
            }
        }
        return received;
    }

    interface Read {
        long bytes() throws Exception;
    }

    private static double rate(long size, Read read) throws Exception {
        long start = System.nanoTime();
        long got = read.bytes();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (got != size) {
            throw new IllegalStateException("read " + got + " bytes of " + size);
        }
        return size / 1e6 / seconds;
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new java.util.Random().nextBytes(bytes); // contents only need to differ between runs, not be secret
        return bytes;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return percentile(sorted, 0.5);
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }
}
