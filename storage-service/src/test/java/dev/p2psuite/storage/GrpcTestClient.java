package dev.p2psuite.storage;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.proto.storage.v1.PutContentRequest;
import dev.p2psuite.proto.storage.v1.PutContentResponse;
import dev.p2psuite.proto.storage.v1.PutContentStart;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.ReadContentResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;

/** Test-side helpers: a channel to the service under test and put/read round trips. */
final class GrpcTestClient {

    private GrpcTestClient() {
    }

    static ManagedChannel channel() {
        int port = ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class);
        return GrpcChannels.open("127.0.0.1:" + port);
    }

    static StorageInternalGrpc.StorageInternalBlockingStub internal(ManagedChannel ch) {
        return StorageInternalGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** PiecePeer as the gateway forwards it: with the authenticated caller's node ID. */
    static PiecePeerGrpc.PiecePeerBlockingStub peer(ManagedChannel ch, NodeId caller) {
        Metadata h = new Metadata();
        h.put(PeerMetadata.PEER_ID, caller.toHex());
        return PiecePeerGrpc.newBlockingStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    static PiecePeerGrpc.PiecePeerStub peerAsync(ManagedChannel ch, NodeId caller) {
        Metadata h = new Metadata();
        h.put(PeerMetadata.PEER_ID, caller.toHex());
        return PiecePeerGrpc.newStub(ch).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static PutContentResponse put(ManagedChannel ch, byte[] content, int chunk, String name) {
        CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        StreamObserver<PutContentRequest> requests = StorageInternalGrpc.newStub(ch).putContent(observer(result));
        requests.onNext(PutContentRequest.newBuilder().setStart(PutContentStart.newBuilder()
                .setMetadata(ContentMetadata.newBuilder().setName(name).addTags("Test"))
                .setExpectedSizeBytes(content.length)).build());
        for (int off = 0; off < content.length; off += chunk) {
            requests.onNext(PutContentRequest.newBuilder()
                    .setChunk(ByteString.copyFrom(content, off, Math.min(chunk, content.length - off))).build());
        }
        requests.onCompleted();
        return result.join();
    }

    static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                result.completeExceptionally(new IllegalStateException("no response"));
            }
        };
    }

    static byte[] read(ManagedChannel ch, ReadContentRequest request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long expected = request.hasRange() ? request.getRange().getOffset() : 0;
        Iterator<ReadContentResponse> it = internal(ch).readContent(request);
        while (it.hasNext()) {
            ReadContentResponse r = it.next();
            if (r.getOffset() != expected) {
                throw new AssertionError("chunk at " + r.getOffset() + ", expected " + expected);
            }
            if (r.getData().isEmpty() || r.getData().size() > 262_144) {
                throw new AssertionError("chunk of " + r.getData().size() + " bytes");
            }
            expected += r.getData().size();
            out.writeBytes(r.getData().toByteArray());
        }
        return out.toByteArray();
    }
}
