package dev.p2psuite.gateway;

import dev.p2psuite.grpc.CallThread;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.RawMessages;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes a peer-facing service, unparsed, to the node service that owns it. Messages cross as bytes (no
 * parse, no re-encode); flow control is end to end, so a slow caller slows the stream at its source.
 * The caller's node ID, authenticated by {@link dev.p2psuite.grpc.PeerSessionInterceptor}, travels as {@link PeerMetadata#PEER_ID},
 * with its address and newest verified record ({@link PeerMetadata#PEER_ADDRESS}, {@link PeerMetadata#PEER_RECORD}).
 */
final class PeerRpcForwarder {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = RawMessages.BYTES;

    private PeerRpcForwarder() {
    }

    /**
     * A definition serving every method of {@code service} by forwarding to {@code target}. The schema
     * descriptors are kept, so gRPC reflection describes the real messages.
     */
    static ServerServiceDefinition forward(ServiceDescriptor service, Channel target) {
        ServiceDescriptor.Builder raw = ServiceDescriptor.newBuilder(service.getName())
                .setSchemaDescriptor(service.getSchemaDescriptor());
        List<MethodDescriptor<byte[], byte[]>> methods = new ArrayList<>();
        for (MethodDescriptor<?, ?> m : service.getMethods()) {
            MethodDescriptor<byte[], byte[]> bytes = m.toBuilder(BYTES, BYTES).build();
            methods.add(bytes);
            raw.addMethod(bytes);
        }
        ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(raw.build());
        for (MethodDescriptor<byte[], byte[]> m : methods) {
            definition.addMethod(m, new Handler(m, target));
        }
        return definition.build();
    }

    private record Handler(MethodDescriptor<byte[], byte[]> method, Channel target)
            implements ServerCallHandler<byte[], byte[]> {

        @Override
        public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> inbound, Metadata headers) {
            NodeId peer = PeerMetadata.AUTHENTICATED_PEER.get();
            if (peer == null) { // the interceptor guarantees it; a missing one is a wiring bug, not a caller error
                inbound.close(Status.INTERNAL.withDescription("peer call reached the forwarder unauthenticated"),
                        new Metadata());
                return new ServerCall.Listener<>() { };
            }
            // Fresh headers: nothing a remote caller sent can pose as what the gateway vouches for.
            Metadata outHeaders = new Metadata();
            outHeaders.put(PeerMetadata.PEER_ID, peer.toHex());
            String address = PeerMetadata.CALLER_ADDRESS.get();
            if (address != null) {
                outHeaders.put(PeerMetadata.PEER_ADDRESS, address);
            }
            SignedPeerRecord record = PeerMetadata.CALLER_RECORD.get();
            if (record != null) {
                outHeaders.put(PeerMetadata.PEER_RECORD, PeerRecords.toProto(record).toByteArray());
            }
            // The backend's callbacks run on the caller's event loop: every step of both directions then happens
            // on one thread, which the Vert.x server call requires and which makes the pipe lock-free.
            CallOptions options = CallOptions.DEFAULT.withExecutor(CallThread.current());
            Deadline deadline = io.grpc.Context.current().getDeadline();
            if (deadline != null) {
                options = options.withDeadline(deadline);
            }
            if (!method.getType().serverSendsOneMessage()) {
                // Piece streams: relay while up to two pieces are queued to the caller, not one at a time.
                inbound.setOnReadyThreshold(dev.p2psuite.grpc.WireLimits.BULK_ON_READY_THRESHOLD_BYTES);
            }
            if (!method.getType().clientSendsOneMessage()) {
                options = options.withOnReadyThreshold(dev.p2psuite.grpc.WireLimits.BULK_ON_READY_THRESHOLD_BYTES);
            }
            ClientCall<byte[], byte[]> outbound = target.newCall(method, options);
            Pipe pipe = new Pipe(inbound, outbound);
            outbound.start(pipe.responses, outHeaders);
            // One message at a time each way; the next is asked for once the other side can take it.
            outbound.request(1);
            inbound.request(1);
            return pipe.requests;
        }
    }

    /**
     * Both directions of one forwarded call, all on the caller's event loop. A direction that could not pass a
     * message on waits (its flag set) until the receiving side reports ready, then asks for the next message.
     */
    private static final class Pipe {
        private final ServerCall<byte[], byte[]> inbound;
        private final ClientCall<byte[], byte[]> outbound;
        private final boolean singleRequest;
        private boolean requestsWaiting;
        private boolean responsesWaiting;

        Pipe(ServerCall<byte[], byte[]> inbound, ClientCall<byte[], byte[]> outbound) {
            this.inbound = inbound;
            this.outbound = outbound;
            this.singleRequest = inbound.getMethodDescriptor().getType().clientSendsOneMessage();
        }

        /** Caller → owning service. */
        final ServerCall.Listener<byte[]> requests = new ServerCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                outbound.sendMessage(message);
                // A single-request call needs no pacing, and its half-close arrives only with demand.
                if (singleRequest || outbound.isReady()) {
                    inbound.request(1);
                } else {
                    requestsWaiting = true;
                }
            }

            @Override
            public void onHalfClose() {
                outbound.halfClose();
            }

            @Override
            public void onCancel() {
                outbound.cancel("caller cancelled", null);
            }

            @Override
            public void onReady() { // the caller can take responses again
                if (responsesWaiting) {
                    responsesWaiting = false;
                    outbound.request(1);
                }
            }
        };

        /** Owning service → caller. */
        final ClientCall.Listener<byte[]> responses = new ClientCall.Listener<>() {
            @Override
            public void onHeaders(Metadata headers) {
                inbound.sendHeaders(headers);
            }

            @Override
            public void onMessage(byte[] message) {
                inbound.sendMessage(message);
                if (inbound.isReady()) {
                    outbound.request(1);
                } else {
                    responsesWaiting = true;
                }
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                inbound.close(status, trailers);
            }

            @Override
            public void onReady() { // the owning service can take requests again
                if (requestsWaiting) {
                    requestsWaiting = false;
                    inbound.request(1);
                }
            }
        };
    }
}
