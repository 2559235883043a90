package dev.p2psuite.relay.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.proto.gateway.v1.SelfRecordResponse;
import dev.p2psuite.proto.relay.v1.ConnectAccept;
import dev.p2psuite.proto.relay.v1.ConnectOpen;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import dev.p2psuite.proto.relay.v1.IncomingCircuit;
import dev.p2psuite.proto.relay.v1.ListenRequest;
import dev.p2psuite.proto.relay.v1.ListenResponse;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.relay.v1.ReserveRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bulk throughput of 262,144-byte messages through a relayed circuit against a direct gRPC stream, in the same
 * run (issue 5, {@code bench/relay}). The relay is the packaged relay-service, started here as its own process;
 * the two nodes (initiator A, reserving node B) and the direct receiver live in this JVM. Each round sends the
 * same bytes once directly (A streams {@code ConnectRequest.data} frames to a gRPC sink that reads them with
 * flow control) and once through the relay (A to relay-service to B, which reads them), alternating which goes
 * first. Both are timed from the first frame to the end of the call, after the receiver has read everything.
 *
 * <p>Last line: {@code frame_bytes= mb_per_round= rounds= direct_mb_per_s= relayed_mb_per_s= ratio=} (medians;
 * MB = 10^6 bytes). Options: {@code --relay-jar PATH} (default
 * {@code relay-service/target/quarkus-app/quarkus-run.jar}), {@code --port N} (relay's port, default 19300),
 * {@code --mib N} per round (default 256), {@code --rounds N} (default 5), {@code --frame N} (default 262144),
 * {@code --relay-jvm-opts "..."} (default {@code -Xms16m -Xmx256m -XX:+UseSerialGC}, as {@code ./p2p} runs it).
 */
public final class RelayThroughputBench {

    private static final SecureRandom RANDOM = new SecureRandom();

    private RelayThroughputBench() {
    }

    public static void main(String[] args) throws Exception {
        String jar = "relay-service/target/quarkus-app/quarkus-run.jar";
        int port = 19300;
        int mib = 256;
        int rounds = 5;
        int frame = WireLimits.PIECE_SIZE;
        String jvmOpts = "-Xms16m -Xmx256m -XX:+UseSerialGC";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--relay-jar" -> jar = args[++i];
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--mib" -> mib = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--frame" -> frame = Integer.parseInt(args[++i]);
                case "--relay-jvm-opts" -> jvmOpts = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println(run(Path.of(jar), port, (long) mib << 20, rounds, frame, jvmOpts));
    }

    /** Runs the benchmark; returns the key=value line. */
    public static String run(Path relayJar, int relayPort, long bytesPerRound, int rounds, int frameBytes,
                             String relayJvmOpts) throws Exception {
        if (!Files.isRegularFile(relayJar)) {
            throw new IllegalStateException(relayJar + " not found: build it with "
                    + "mvn -B -o -pl relay-service -am install -DskipTests");
        }
        Path data = Files.createTempDirectory("relay-bench-");
        NodeKey relayKey = NodeKeyStore.loadOrCreate(data, RANDOM); // the relay checks the record is its node's
        SignedPeerRecord relayRecord = SignedPeerRecord.sign(relayKey, 1, List.of(Candidate.host("127.0.0.1", 1)));
        Server gateway = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new GatewayInternalGrpc.GatewayInternalImplBase() {
                    @Override
                    public void selfRecord(SelfRecordRequest request, StreamObserver<SelfRecordResponse> out) {
                        out.onNext(SelfRecordResponse.newBuilder().setRecord(PeerRecords.toProto(relayRecord)).build());
                        out.onCompleted();
                    }
                }).build().start();
        Server sink = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxInboundMessageSize(WireLimits.MAX_MESSAGE_BYTES)
                .flowControlWindow(WireLimits.FLOW_CONTROL_WINDOW_BYTES)
                .addService(new Sink()).build().start();
        Process relay = startRelay(relayJar, relayPort, gateway.getPort(), data, relayJvmOpts);
        ManagedChannel toRelayA = null;
        ManagedChannel toRelayB = null;
        ManagedChannel direct = null;
        try {
            awaitPort(relayPort, relay);
            toRelayA = GrpcChannels.open("127.0.0.1:" + relayPort);
            toRelayB = GrpcChannels.open("127.0.0.1:" + relayPort);
            direct = GrpcChannels.open("127.0.0.1:" + sink.getPort());
            Node a = new Node(NodeKey.generate(RANDOM), "127.0.0.2");
            Node b = new Node(NodeKey.generate(RANDOM), "127.0.0.3");
            awaitReservation(b.stub(toRelayB));
            Listener listen = new Listener();
            b.async(toRelayB).listen(ListenRequest.getDefaultInstance(), listen);

            byte[] chunk = new byte[frameBytes];
            RANDOM.nextBytes(chunk);
            ByteString payload = UnsafeByteOperations.unsafeWrap(chunk);
            // warm-up: JIT both paths (and the relay's JVM) before measuring
            for (int w = 0; w < 3; w++) {
                relayed(a, b, toRelayA, toRelayB, listen, payload, 128L << 20);
                direct(a, direct, payload, 128L << 20);
            }

            List<Double> directRates = new ArrayList<>();
            List<Double> relayedRates = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                long relayCpu0 = cpuNanos(relay);
                long selfCpu0 = selfCpuNanos();
                double rl = relayed(a, b, toRelayA, toRelayB, listen, payload, bytesPerRound);
                double relayCpuPerGb = (cpuNanos(relay) - relayCpu0) / 1e9 / (bytesPerRound / 1e9);
                double clientsCpuPerGb = (selfCpuNanos() - selfCpu0) / 1e9 / (bytesPerRound / 1e9);
                long selfCpu1 = selfCpuNanos();
                double d = direct(a, direct, payload, bytesPerRound);
                double directCpuPerGb = (selfCpuNanos() - selfCpu1) / 1e9 / (bytesPerRound / 1e9);
                directRates.add(d);
                relayedRates.add(rl);
                System.out.printf(Locale.ROOT, "round %d: direct %.0f MB/s (%.2f CPU-s/GB), relayed %.0f MB/s "
                        + "(relay %.2f CPU-s/GB, ends %.2f CPU-s/GB)%n", r + 1, d, directCpuPerGb, rl, relayCpuPerGb,
                        clientsCpuPerGb);
            }
            double dm = median(directRates);
            double rm = median(relayedRates);
            return String.format(Locale.ROOT,
                    "frame_bytes=%d mb_per_round=%.0f rounds=%d direct_mb_per_s=%.0f relayed_mb_per_s=%.0f ratio=%.2f",
                    frameBytes, bytesPerRound / 1e6, rounds, dm, rm, rm / dm);
        } finally {
            for (ManagedChannel c : new ManagedChannel[] {toRelayA, toRelayB, direct}) {
                if (c != null) {
                    c.shutdownNow();
                }
            }
            relay.destroy();
            if (!relay.waitFor(20, TimeUnit.SECONDS)) {
                relay.destroyForcibly();
            }
            sink.shutdownNow();
            gateway.shutdownNow();
            deleteTree(data.toFile());
        }
    }

    /** CPU time the relay process has used so far (Linux: from /proc, via ProcessHandle). */
    private static long cpuNanos(Process p) {
        return p.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private static long selfCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static Process startRelay(Path jar, int port, int gatewayPort, Path data, String jvmOpts)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (!jvmOpts.isBlank()) {
            Collections.addAll(command, jvmOpts.trim().split("\\s+"));
        }
        command.add("-jar");
        command.add(jar.toAbsolutePath().toString());
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("QUARKUS_GRPC_SERVER_PORT", Integer.toString(port));
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port + 5));
        pb.environment().put("QUARKUS_HTTP_HOST", "127.0.0.1");
        pb.environment().put("P2P_DATA_DIR", data.toString());
        pb.environment().put("P2P_RELAY_STUN_PORT", "0");
        pb.environment().put("P2P_RELAY_STUN_HOST", "127.0.0.1");
        pb.environment().put("P2P_RELAY_GATEWAY_ADDRESS", "127.0.0.1:" + gatewayPort);
        pb.redirectErrorStream(true);
        pb.redirectOutput(data.resolve("relay.log").toFile());
        return pb.start();
    }

    private static void awaitPort(int port, Process relay) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!relay.isAlive()) {
                throw new IllegalStateException("relay-service exited with " + relay.exitValue()
                        + " (port " + port + " in use?)");
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("relay-service did not open port " + port + " within 60 s");
    }

    /** Reserve answers UNAVAILABLE until relay-service has the node's record from the (fake) gateway. */
    private static void awaitReservation(RelayPeerGrpc.RelayPeerBlockingStub stub) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try {
                stub.reserve(ReserveRequest.getDefaultInstance());
                return;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("relay-service never granted a reservation");
    }

    /** A node as the relay sees it behind its gateway: ID, signed record and address in metadata. */
    private record Node(NodeKey key, String ip) {
        Metadata headers() {
            Metadata h = new Metadata();
            h.put(PeerMetadata.PEER_ID, key.nodeId().toHex());
            h.put(PeerMetadata.PEER_ADDRESS, ip + ":40000");
            h.put(PeerMetadata.PEER_RECORD, PeerRecords.toProto(SignedPeerRecord.sign(key, 1,
                    List.of(Candidate.host(ip, 7000)))).toByteArray());
            return h;
        }

        RelayPeerGrpc.RelayPeerBlockingStub stub(ManagedChannel c) {
            return RelayPeerGrpc.newBlockingStub(c).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers()));
        }

        RelayPeerGrpc.RelayPeerStub async(ManagedChannel c) {
            return RelayPeerGrpc.newStub(c).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers()));
        }

        NodeId id() {
            return key.nodeId();
        }
    }

    /** MB/s sending {@code total} bytes straight to the sink. */
    private static double direct(Node a, ManagedChannel direct, ByteString payload, long total) throws Exception {
        Sender sender = new Sender(payload, total, null);
        long start = System.nanoTime();
        a.async(direct).connect(sender);
        sender.start();
        Status s = sender.closed.get(10, TimeUnit.MINUTES);
        long nanos = System.nanoTime() - start;
        check(s, "direct stream");
        return total / (nanos / 1e9) / 1e6;
    }

    /** MB/s sending {@code total} bytes from A through a new circuit to B. */
    private static double relayed(Node a, Node b, ManagedChannel toRelayA, ManagedChannel toRelayB, Listener listen,
                                  ByteString payload, long total) throws Exception {
        Sender sender = new Sender(payload, total, ConnectRequest.newBuilder().setOpen(ConnectOpen.newBuilder()
                .setTargetNodeId(ByteString.copyFrom(b.id().bytes()))).build());
        long start = System.nanoTime();
        a.async(toRelayA).connect(sender);
        sender.start();
        IncomingCircuit incoming = listen.incoming.poll(30, TimeUnit.SECONDS);
        if (incoming == null) {
            throw new IllegalStateException("no incoming circuit; initiator ended with " + sender.closed.getNow(null));
        }
        Receiver receiver = new Receiver(ConnectRequest.newBuilder().setAccept(ConnectAccept.newBuilder()
                .setCircuitId(incoming.getCircuitId())).build());
        b.async(toRelayB).connect(receiver);
        receiver.start();
        Status s = sender.closed.get(10, TimeUnit.MINUTES);
        long nanos = System.nanoTime() - start;
        check(s, "relayed circuit");
        check(receiver.closed.get(1, TimeUnit.MINUTES), "relayed circuit (receiver)");
        if (receiver.bytes.get() != total) {
            throw new IllegalStateException("B received " + receiver.bytes.get() + " of " + total + " bytes");
        }
        return total / (nanos / 1e9) / 1e6;
    }

    private static void check(Status s, String what) {
        if (!s.isOk()) {
            throw new IllegalStateException(what + " ended with " + s);
        }
    }

    /**
     * Sends an optional first frame, then {@code total} bytes of data frames while the call is ready, then
     * half-closes; done when the call ends.
     */
    private static final class Sender implements ClientResponseObserver<ConnectRequest, ConnectResponse> {
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        private final ConnectRequest frame;
        private final ConnectRequest first;
        private final long total;
        private long sent;
        private boolean opened;
        private ClientCallStreamObserver<ConnectRequest> out;

        Sender(ByteString payload, long total, ConnectRequest first) {
            this.frame = ConnectRequest.newBuilder().setData(payload).build();
            this.total = total;
            this.first = first;
            this.opened = first == null;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ConnectRequest> requests) {
            out = requests;
            requests.setOnReadyHandler(this::pump);
        }

        /** Sends the first frame once the call has started. */
        synchronized void start() {
            if (first != null) {
                out.onNext(first);
            }
            pump();
        }

        private synchronized void pump() {
            if (!opened || sent >= total) {
                return;
            }
            while (out.isReady() && sent < total) {
                out.onNext(frame);
                sent += frame.getData().size();
            }
            if (sent >= total) {
                out.onCompleted();
            }
        }

        @Override
        public void onNext(ConnectResponse value) {
            if (value.hasOpened()) {
                synchronized (this) {
                    opened = true;
                }
                pump();
            }
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    /** B's end: accepts, reads every frame, half-closes when A has. */
    private static final class Receiver implements ClientResponseObserver<ConnectRequest, ConnectResponse> {
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final AtomicLong bytes = new AtomicLong();
        private final ConnectRequest accept;
        private ClientCallStreamObserver<ConnectRequest> out;

        Receiver(ConnectRequest accept) {
            this.accept = accept;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ConnectRequest> requests) {
            out = requests;
        }

        synchronized void start() {
            out.onNext(accept);
        }

        @Override
        public void onNext(ConnectResponse value) {
            if (value.getFrameCase() == ConnectResponse.FrameCase.DATA) {
                bytes.addAndGet(value.getData().size());
            } else if (value.getFrameCase() == ConnectResponse.FrameCase.HALF_CLOSED) {
                synchronized (this) {
                    out.onCompleted();
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    /** The direct receiver: a gRPC server reading data frames (flow-controlled) and ending the call at half-close. */
    private static final class Sink extends RelayPeerGrpc.RelayPeerImplBase {
        @Override
        public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responses) {
            ServerCallStreamObserver<ConnectResponse> out = (ServerCallStreamObserver<ConnectResponse>) responses;
            return new StreamObserver<>() {
                @Override
                public void onNext(ConnectRequest value) {
                    // counted by the sender; reading it is the work
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }

    /** B's Listen stream: announced circuits. */
    private static final class Listener implements StreamObserver<ListenResponse> {
        final BlockingQueue<IncomingCircuit> incoming = new LinkedBlockingQueue<>();

        @Override
        public void onNext(ListenResponse value) {
            if (value.hasIncoming()) {
                incoming.add(value.getIncoming());
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void deleteTree(File f) {
        File[] children = f.listFiles();
        if (children != null) {
            for (File c : children) {
                deleteTree(c);
            }
        }
        f.delete();
    }
}
