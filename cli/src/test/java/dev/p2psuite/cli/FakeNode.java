package dev.p2psuite.cli;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.gateway.v1.Chunk;
import dev.p2psuite.proto.gateway.v1.ContentInfo;
import dev.p2psuite.proto.gateway.v1.GetContentHeader;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoResponse;
import dev.p2psuite.proto.gateway.v1.Progress;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentStart;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import dev.p2psuite.proto.gateway.v1.StatResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A stand-in NodeApi for the CLI's unit tests (in-process transport): stores what is put, serves it back in
 * 262,144-byte chunks with progress, and can be told to misbehave. The real gateway is exercised by
 * system-tests' CliEndToEndTest.
 */
final class FakeNode extends NodeApiGrpc.NodeApiImplBase implements AutoCloseable {

    static final int PIECE = 262_144;

    final String name = "fake-node-" + System.nanoTime();
    final Map<String, byte[]> contents = new ConcurrentHashMap<>();
    final List<PutContentRequest> received = new ArrayList<>();
    /** Rewrites the GetContent stream before it is sent (to misbehave); identity by default. */
    volatile Function<List<GetContentResponse>, List<GetContentResponse>> getTamper = Function.identity();
    volatile Status failWith;
    private final Server server;

    FakeNode() throws Exception {
        server = InProcessServerBuilder.forName(name).directExecutor().addService(this).build().start();
    }

    static String idOf(byte[] data) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
        return "b" + HexFormat.of().formatHex(digest).substring(0, 55); // shape only, not the real encoding
    }

    static ContentInfo info(String id, byte[] data, String name, boolean complete) {
        int pieces = (int) ((data.length + PIECE - 1) / PIECE);
        return ContentInfo.newBuilder().setContentId(id).setSizeBytes(data.length).setPieceSize(PIECE)
                .setPieceCount(pieces).setPiecesHeld(complete ? pieces : 0).setComplete(complete)
                .setMetadata(dev.p2psuite.proto.common.v1.ContentMetadata.newBuilder().setName(name)).build();
    }

    @Override
    public StreamObserver<PutContentRequest> putContent(StreamObserver<PutContentResponse> responses) {
        return new StreamObserver<>() {
            final ByteArrayOutputStream data = new ByteArrayOutputStream();
            PutContentStart start;

            @Override
            public void onNext(PutContentRequest r) {
                synchronized (received) {
                    received.add(r);
                }
                if (r.hasStart()) {
                    start = r.getStart();
                } else {
                    data.writeBytes(r.getChunk().toByteArray());
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                if (failWith != null) {
                    responses.onError(failWith.asRuntimeException());
                    return;
                }
                byte[] bytes = data.toByteArray();
                if (start.getExpectedSizeBytes() != bytes.length) {
                    responses.onError(Status.INVALID_ARGUMENT.withDescription("expected_size_bytes "
                            + start.getExpectedSizeBytes() + " but " + bytes.length + " bytes followed").asRuntimeException());
                    return;
                }
                try {
                    String id = idOf(bytes);
                    boolean already = contents.containsKey(id);
                    contents.put(id, bytes);
                    responses.onNext(PutContentResponse.newBuilder()
                            .setContent(info(id, bytes, start.getMetadata().getName(), true))
                            .setAlreadyPresent(already).setProvidersAnnounced(2).build());
                    responses.onCompleted();
                } catch (Exception e) {
                    responses.onError(e);
                }
            }
        };
    }

    @Override
    public void getContent(GetContentRequest request, StreamObserver<GetContentResponse> responses) {
        if (failWith != null) {
            responses.onError(failWith.asRuntimeException());
            return;
        }
        byte[] data = contents.get(request.getContentId());
        if (data == null) {
            responses.onError(Status.NOT_FOUND.withDescription("no provider of " + request.getContentId()
                    + " found in the DHT; check the ID, or put the content first").asRuntimeException());
            return;
        }
        long offset = request.hasRange() ? request.getRange().getOffset() : 0;
        if (offset >= data.length && data.length > 0) {
            responses.onError(Status.OUT_OF_RANGE.withDescription("range starts at " + offset + ", past the end ("
                    + data.length + " bytes)").asRuntimeException());
            return;
        }
        long length = request.hasRange() && request.getRange().getLength() > 0
                ? Math.min(request.getRange().getLength(), data.length - offset) : data.length - offset;
        List<GetContentResponse> stream = new ArrayList<>();
        stream.add(GetContentResponse.newBuilder().setHeader(GetContentHeader.newBuilder()
                .setContent(info(request.getContentId(), data, "x", false)).setOffset(offset).setLength(length)).build());
        int pieces = (int) ((data.length + PIECE - 1) / PIECE);
        long pos = offset;
        int n = 0;
        while (pos < offset + length) {
            int size = (int) Math.min(PIECE, offset + length - pos);
            if (request.getProgress()) {
                stream.add(GetContentResponse.newBuilder().setProgress(Progress.newBuilder()
                        .setBytesDone(pos + size - offset).setBytesTotal(length).setPiecesDone(++n)
                        .setPiecesTotal(pieces).setPeers(2).setRateBytesPerS(1_000_000)).build());
            }
            stream.add(GetContentResponse.newBuilder().setChunk(Chunk.newBuilder().setOffset(pos)
                    .setData(ByteString.copyFrom(data, (int) pos, size))).build());
            pos += size;
        }
        getTamper.apply(stream).forEach(responses::onNext);
        responses.onCompleted();
    }

    @Override
    public void stat(StatRequest request, StreamObserver<StatResponse> responses) {
        byte[] data = contents.get(request.getContentId());
        if (data == null) {
            responses.onError(Status.NOT_FOUND.withDescription("unknown content " + request.getContentId()).asRuntimeException());
            return;
        }
        responses.onNext(StatResponse.newBuilder().setContent(info(request.getContentId(), data, "sample.bin", true))
                .setLocal(true).build());
        responses.onCompleted();
    }

    @Override
    public void nodeInfo(NodeInfoRequest request, StreamObserver<NodeInfoResponse> responses) {
        responses.onNext(NodeInfoResponse.newBuilder().setNodeId("ab".repeat(20)).setVersion("0.1.0").setReady(true)
                .setRoutingTableSize(2).setStartedUnixMs(1_700_000_000_000L).build());
        responses.onCompleted();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
