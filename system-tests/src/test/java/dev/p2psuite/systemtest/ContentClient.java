package dev.p2psuite.systemtest;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentStart;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** A gRPC client of a node's content API as any user would write one: stream in, stream out. */
final class ContentClient {

    static final int CHUNK = 262_144;

    private ContentClient() {
    }

    /** Puts {@code content} with flow control (a chunk is sent only when the stream is ready). */
    static PutContentResponse put(Channel gateway, byte[] content, String name) throws Exception {
        CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        NodeApiGrpc.newStub(gateway).withDeadlineAfter(120, TimeUnit.SECONDS).putContent(
                new ClientResponseObserver<PutContentRequest, PutContentResponse>() {
                    int position = -1;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<PutContentRequest> requests) {
                        requests.setOnReadyHandler(() -> {
                            while (requests.isReady() && position < content.length) {
                                if (position < 0) {
                                    requests.onNext(PutContentRequest.newBuilder().setStart(PutContentStart.newBuilder()
                                            .setMetadata(ContentMetadata.newBuilder().setName(name))
                                            .setExpectedSizeBytes(content.length)).build());
                                    position = 0;
                                    continue;
                                }
                                int n = Math.min(CHUNK, content.length - position);
                                requests.onNext(PutContentRequest.newBuilder()
                                        .setChunk(ByteString.copyFrom(content, position, n)).build());
                                position += n;
                            }
                            if (position >= content.length && position != Integer.MAX_VALUE) { // once only
                                position = Integer.MAX_VALUE;
                                requests.onCompleted();
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

    /** The whole stream of a get: its header, progress messages seen, and the data in order. */
    record Got(GetContentResponse header, int progressMessages, byte[] data) {
    }

    static Got get(Channel gateway, GetContentRequest request) throws java.io.IOException {
        Iterator<GetContentResponse> stream = NodeApiGrpc.newBlockingStub(gateway)
                .withDeadlineAfter(120, TimeUnit.SECONDS).getContent(request);
        GetContentResponse header = stream.next();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int progress = 0;
        long expected = header.getHeader().getOffset();
        while (stream.hasNext()) {
            GetContentResponse message = stream.next();
            if (message.hasProgress()) {
                progress++;
            } else if (message.hasChunk()) {
                if (message.getChunk().getOffset() != expected) {
                    throw new AssertionError("chunk at " + message.getChunk().getOffset() + ", expected " + expected);
                }
                message.getChunk().getData().writeTo(data);
                expected += message.getChunk().getData().size();
            } else {
                throw new AssertionError("unexpected message after the header: " + message);
            }
        }
        return new Got(header, progress, data.toByteArray());
    }

    static Got get(Channel gateway, String contentId) throws java.io.IOException {
        return get(gateway, GetContentRequest.newBuilder().setContentId(contentId).build());
    }
}
