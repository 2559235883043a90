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
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Routes a peer-facing service, unparsed, to the node service that owns it. Messages cross as the transport's own
 * buffers ({@link RawMessages#DETACHED}: no parse, no copy into an array, no re-encode); flow control is end to end,
 * so a slow caller slows the stream at its source.
 * The caller's node ID, authenticated by {@link dev.p2psuite.grpc.PeerSessionInterceptor}, travels as {@link PeerMetadata#PEER_ID},
 * with its address and newest verified record ({@link PeerMetadata#PEER_ADDRESS}, {@link PeerMetadata#PEER_RECORD}).
 */
final class PeerRpcForwarder {

    private static final MethodDescriptor.Marshaller<InputStream> RAW = RawMessages.DETACHED;

    private PeerRpcForwarder() {
    }

    /**
     * A definition serving every method of {@code service} by forwarding to the channel {@code target} gives when a
     * call starts (on the call's thread). The schema descriptors are kept, so gRPC reflection describes the real
     * messages.
     */
    static ServerServiceDefinition forward(ServiceDescriptor service, Supplier<? extends Channel> target) {
        ServiceDescriptor.Builder raw = ServiceDescriptor.newBuilder(service.getName())
                .setSchemaDescriptor(service.getSchemaDescriptor());
        List<MethodDescriptor<InputStream, InputStream>> methods = new ArrayList<>();
        for (MethodDescriptor<?, ?> m : service.getMethods()) {
            MethodDescriptor<InputStream, InputStream> bytes = m.toBuilder(RAW, RAW).build();
            methods.add(bytes);
            raw.addMethod(bytes);
        }
        ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(raw.build());
        for (MethodDescriptor<InputStream, InputStream> m : methods) {
            definition.addMethod(m, new Handler(m, target));
        }
        return definition.build();
    }

    private record Handler(MethodDescriptor<InputStream, InputStream> method, Supplier<? extends Channel> target)
            implements ServerCallHandler<InputStream, InputStream> {

        @Override
        public ServerCall.Listener<InputStream> startCall(ServerCall<InputStream, InputStream> inbound, Metadata headers) {
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
            ClientCall<InputStream, InputStream> outbound = target.get().newCall(method, options);
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
     * message on waits (its flag set) until the receiving side reports ready, then asks for the next message. A
     * message is handed to the other side's transport, which closes it once sent.
     */
    private static final class Pipe {
        private final ServerCall<InputStream, InputStream> inbound;
        private final ClientCall<InputStream, InputStream> outbound;
        private final boolean singleRequest;
        private boolean requestsWaiting;
        private boolean responsesWaiting;

        Pipe(ServerCall<InputStream, InputStream> inbound, ClientCall<InputStream, InputStream> outbound) {
            this.inbound = inbound;
            this.outbound = outbound;
            this.singleRequest = inbound.getMethodDescriptor().getType().clientSendsOneMessage();
        }

        /** Caller → owning service. */
        final ServerCall.Listener<InputStream> requests = new ServerCall.Listener<>() {
            @Override
            public void onMessage(InputStream message) {
                send(message, outbound::sendMessage);
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
        final ClientCall.Listener<InputStream> responses = new ClientCall.Listener<>() {
            @Override
            public void onHeaders(Metadata headers) {
                inbound.sendHeaders(headers);
            }

            @Override
            public void onMessage(InputStream message) {
                send(message, inbound::sendMessage);
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

        /** Hands {@code message} to a transport, which closes it once sent; if refused (the call ended), closes it. */
        private static void send(InputStream message, java.util.function.Consumer<InputStream> transport) {
            try {
                transport.accept(message);
            } catch (RuntimeException e) {
                RawMessages.closeQuietly(message);
                throw e;
            }
        }
    }
}
