package dev.p2psuite.dht;

import com.google.protobuf.ByteString;
import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.Endpoint;
import dev.p2psuite.dht.core.PeerRpc;
import dev.p2psuite.dht.core.ValueRecord;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerHandshake.PeerSession;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.AddProviderRequest;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.dht.v1.ExchangePeersRequest;
import dev.p2psuite.proto.dht.v1.FindNodeRequest;
import dev.p2psuite.proto.dht.v1.FindValueRequest;
import dev.p2psuite.proto.dht.v1.GetProvidersRequest;
import dev.p2psuite.proto.dht.v1.PingRequest;
import dev.p2psuite.proto.dht.v1.StoreRequest;
import dev.p2psuite.grpc.PeerDialer;
import dev.p2psuite.relay.core.DirectUpgradePolicy;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Kademlia RPCs to other nodes over gRPC, as the node: one long-lived channel per remote gateway, one
 * authenticated session on it (renewed before it expires, or when the remote forgets it), every call
 * asynchronous with a deadline. Contacts and values in answers are verified before the core sees them.
 */
public final class GrpcPeerRpc implements PeerRpc, AutoCloseable {

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(GrpcPeerRpc.class);

    /** A session is renewed this long before it expires, so no call races its expiry. */
    static final Duration RENEW_BEFORE_EXPIRY = Duration.ofMinutes(1);

    private final NodeKey key;
    private final Supplier<SignedPeerRecord> self;
    private final PeerRecordBook book;
    private final InstantSource clock;
    private final SecureRandom random;
    private final long callTimeoutMs;
    private final ConcurrentMap<Endpoint, Connection> connections = new ConcurrentHashMap<>();
    /** Connections over routes found by {@link #dialer}, by the route's channel. */
    private final ConcurrentMap<Channel, Connection> routed = new ConcurrentHashMap<>();
    private final PeerDialer dialer;

    public GrpcPeerRpc(NodeKey key, Supplier<SignedPeerRecord> self, PeerRecordBook book, InstantSource clock,
                       SecureRandom random, Duration callTimeout) {
        this(key, self, book, clock, random, callTimeout, DirectUpgradePolicy.Settings.defaults());
    }

    /** @param upgrades when routes found only through a relay are upgraded by hole punching */
    public GrpcPeerRpc(NodeKey key, Supplier<SignedPeerRecord> self, PeerRecordBook book, InstantSource clock,
                       SecureRandom random, Duration callTimeout, DirectUpgradePolicy.Settings upgrades) {
        this.key = key;
        this.self = self;
        this.book = book;
        this.clock = clock;
        this.random = random;
        this.callTimeoutMs = callTimeout.toMillis();
        this.dialer = new PeerDialer(key, self, random, upgrades);
    }

    /** How peers whose record lists a relay are reached (routes, upgrades by hole punching). */
    PeerDialer dialer() {
        return dialer;
    }

    /** One remote gateway: its channel and the session proving who we are to it. */
    private final class Connection {
        final Channel channel;
        /** The channel this connection opened (closed with it); null for a route's channel owned by the dialer. */
        final ManagedChannel owned;
        private CompletableFuture<PeerSession> session;
        /** seq of the record this node presented in the current session's handshake. */
        private long presentedSeq;

        Connection(Endpoint endpoint) {
            this.owned = GrpcChannels.open(endpoint.toString());
            this.channel = owned;
        }

        Connection(Channel routed) {
            this.owned = null;
            this.channel = routed;
        }

        synchronized CompletableFuture<PeerSession> session(boolean renew) {
            SignedPeerRecord me = self.get();
            // The remote keeps the record presented in the handshake for the session's life: a newer record (new
            // addresses, e.g. a relayed candidate) needs a new handshake, or peers keep dialling the old addresses.
            boolean stale = session == null || renew || me.seq() > presentedSeq
                    || (session.isDone() && (session.isCompletedExceptionally()
                    || session.join().expiresAt().minus(RENEW_BEFORE_EXPIRY).isBefore(clock.instant())));
            if (stale) {
                presentedSeq = me.seq();
                session = PeerHandshake.authenticateAsync(channel, key, me, null, random);
            }
            return session;
        }
    }

    /**
     * Calls {@code method} on {@code peer}. A peer whose record lists a relay (issue 5) is reached ICE-style through
     * {@link PeerDialer}: its direct candidates checked in parallel, else a circuit through its relay; the route
     * is remembered until a call on it fails to connect. Other peers are dialled at their endpoint as before.
     */
    <Q, R> CompletableFuture<R> call(Contact peer, MethodDescriptor<Q, R> method, Q request) {
        if (!PeerDialer.hasRelayed(peer.record())) {
            return call(peer.endpoint(), peer.id(), method, request).whenComplete((r, e) -> {
                if (e != null) {
                    LOG.debugf("call %s to %s at %s failed: %s", method.getBareMethodName(), peer.id().toHex(),
                            peer.endpoint(), e.getMessage());
                }
            });
        }
        return dialer.route(peer.record()).thenCompose(route -> {
            Connection connection = routed.computeIfAbsent(route.channel(), Connection::new);
            return attempt(connection, peer.id(), method, request, false)
                    .exceptionallyCompose(e -> isUnauthenticated(e)
                            ? attempt(connection, peer.id(), method, request, true)
                            : CompletableFuture.failedFuture(e));
        }).whenComplete((r, e) -> {
            if (e != null) {
                LOG.debugf("call %s to %s (reached through its relay or ICE checks) failed: %s",
                        method.getBareMethodName(), peer.id().toHex(), e.getMessage());
            }
            if (e != null && isUnreachable(e)) {
                dialer.forget(peer.id());
            }
        });
    }

    /**
     * Calls {@code method} on the node at {@code endpoint}; when {@code expected} is set, the node must prove
     * it is that node. A session the remote no longer accepts (it restarted) is renewed once.
     */
    <Q, R> CompletableFuture<R> call(Endpoint endpoint, NodeId expected, MethodDescriptor<Q, R> method, Q request) {
        Connection connection = connections.computeIfAbsent(endpoint, Connection::new);
        return attempt(connection, expected, method, request, false)
                .exceptionallyCompose(e -> isUnauthenticated(e)
                        ? attempt(connection, expected, method, request, true)
                        : CompletableFuture.failedFuture(e));
    }

    private <Q, R> CompletableFuture<R> attempt(Connection connection, NodeId expected, MethodDescriptor<Q, R> method,
                                                Q request, boolean renew) {
        return connection.session(renew).thenCompose(session -> {
            if (expected != null && !session.responder().nodeId().equals(expected)) {
                return CompletableFuture.failedFuture(Status.UNAUTHENTICATED.withDescription("dialed "
                        + expected.toHex() + " but the node there is " + session.responder().nodeId().toHex())
                        .asRuntimeException());
            }
            CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(callTimeoutMs, TimeUnit.MILLISECONDS);
            return GrpcFutures.unary(session.attachTo(connection.channel), method, options, request);
        });
    }

    /**
     * Starts a server-streaming call (flood search's SearchPeer.Query) to {@code peer} on the same connection and
     * session as the Kademlia calls; the node there must prove it is {@code peer}. A session the remote no longer
     * accepts is renewed once if nothing was received yet. The returned action cancels the call.
     */
    public <Q, R> Runnable serverStreaming(Contact peer, MethodDescriptor<Q, R> method, Q request, Deadline deadline,
                                           StreamObserver<R> observer) {
        Connection connection = connections.computeIfAbsent(peer.endpoint(), Connection::new);
        StreamingCall<Q, R> call = new StreamingCall<>(connection, peer.id(), method, request, deadline, observer);
        call.start(false);
        return call::cancel;
    }

    /** One server-streaming call, started once the session is ready. */
    private final class StreamingCall<Q, R> {
        private final Connection connection;
        private final NodeId expected;
        private final MethodDescriptor<Q, R> method;
        private final Q request;
        private final Deadline deadline;
        private final StreamObserver<R> observer;
        private ClientCall<Q, R> current;
        private boolean cancelled;
        private volatile boolean received;

        StreamingCall(Connection connection, NodeId expected, MethodDescriptor<Q, R> method, Q request,
                      Deadline deadline, StreamObserver<R> observer) {
            this.connection = connection;
            this.expected = expected;
            this.method = method;
            this.request = request;
            this.deadline = deadline;
            this.observer = observer;
        }

        void start(boolean renew) {
            connection.session(renew).whenComplete((session, failure) -> {
                if (failure != null) {
                    observer.onError(failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure);
                    return;
                }
                if (!session.responder().nodeId().equals(expected)) {
                    observer.onError(Status.UNAUTHENTICATED.withDescription("dialed " + expected.toHex()
                            + " but the node there is " + session.responder().nodeId().toHex()).asRuntimeException());
                    return;
                }
                ClientCall<Q, R> call;
                synchronized (this) {
                    if (cancelled) {
                        return;
                    }
                    call = session.attachTo(connection.channel).newCall(method, CallOptions.DEFAULT.withDeadline(deadline));
                    current = call;
                }
                ClientCalls.asyncServerStreamingCall(call, request, new StreamObserver<R>() {
                    @Override
                    public void onNext(R value) {
                        received = true;
                        observer.onNext(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        boolean retry;
                        synchronized (StreamingCall.this) {
                            retry = !renew && !received && !cancelled && isUnauthenticated(t);
                        }
                        if (retry) {
                            start(true);
                        } else {
                            observer.onError(t);
                        }
                    }

                    @Override
                    public void onCompleted() {
                        observer.onCompleted();
                    }
                });
            });
        }

        void cancel() {
            ClientCall<Q, R> call;
            synchronized (this) {
                cancelled = true;
                call = current;
            }
            if (call != null) {
                call.cancel("the search no longer needs this stream", null);
            }
        }
    }

    private static boolean isUnreachable(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof StatusRuntimeException s && (s.getStatus().getCode() == Status.Code.UNAVAILABLE
                || s.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED);
    }

    private static boolean isUnauthenticated(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.UNAUTHENTICATED;
    }

    @Override
    public CompletableFuture<Contact> ping(Contact peer) {
        return call(peer, DhtPeerGrpc.getPingMethod(), PingRequest.getDefaultInstance())
                .thenApply(r -> verified(() -> DhtWire.contact(r.getResponder(), "responder", book)));
    }

    @Override
    public CompletableFuture<Contact> pingAddress(Endpoint endpoint) {
        return call(endpoint, null, DhtPeerGrpc.getPingMethod(), PingRequest.getDefaultInstance())
                .thenApply(r -> verified(() -> DhtWire.contact(r.getResponder(), "responder", book)));
    }

    @Override
    public CompletableFuture<List<Contact>> findNode(Contact peer, NodeId target) {
        return call(peer, DhtPeerGrpc.getFindNodeMethod(), findNodeRequest(target))
                .thenApply(r -> DhtWire.contacts(r.getCloserPeersList(), "closer_peers", book));
    }

    @Override
    public CompletableFuture<FoundValue> findValue(Contact peer, NodeId key) {
        return call(peer, DhtPeerGrpc.getFindValueMethod(),
                FindValueRequest.newBuilder().setKey(ByteString.copyFrom(key.bytes())).build())
                .thenApply(r -> {
                    ValueRecord record = null;
                    if (r.hasRecord()) {
                        try {
                            record = DhtWire.fromProto(r.getRecord(), "record"); // the lookup verifies it
                        } catch (IllegalArgumentException e) {
                            record = null; // a malformed value is no value: the lookup goes on elsewhere
                        }
                    }
                    return new FoundValue(record, DhtWire.contacts(r.getCloserPeersList(), "closer_peers", book));
                });
    }

    @Override
    public CompletableFuture<StoreOutcome> store(Contact peer, ValueRecord record) {
        return call(peer, DhtPeerGrpc.getStoreMethod(),
                StoreRequest.newBuilder().setRecord(DhtWire.toProto(record)).build())
                .thenApply(r -> new StoreOutcome(switch (r.getOutcome()) {
                    case STORE_OUTCOME_STORED -> StoreOutcome.Kind.STORED;
                    case STORE_OUTCOME_STALE -> StoreOutcome.Kind.STALE;
                    default -> StoreOutcome.Kind.CONFLICT;
                }, r.getHeldSeq()));
    }

    @Override
    public CompletableFuture<Boolean> addProvider(Contact peer, NodeId key, Contact provider, long ttlSeconds) {
        return call(peer, DhtPeerGrpc.getAddProviderMethod(), AddProviderRequest.newBuilder()
                .setKey(ByteString.copyFrom(key.bytes()))
                .setProvider(PeerRecords.toProto(provider.record()))
                .setTtlSeconds((int) Math.min(ttlSeconds, Integer.MAX_VALUE))
                .build())
                .thenApply(r -> r.getAccepted());
    }

    @Override
    public CompletableFuture<FoundProviders> getProviders(Contact peer, NodeId key) {
        return call(peer, DhtPeerGrpc.getGetProvidersMethod(),
                GetProvidersRequest.newBuilder().setKey(ByteString.copyFrom(key.bytes())).build())
                .thenApply(r -> new FoundProviders(DhtWire.contacts(r.getProvidersList(), "providers", book),
                        DhtWire.contacts(r.getCloserPeersList(), "closer_peers", book)));
    }

    @Override
    public CompletableFuture<List<Contact>> exchangePeers(Contact peer, List<Contact> alive) {
        return call(peer, DhtPeerGrpc.getExchangePeersMethod(),
                ExchangePeersRequest.newBuilder().addAllPeers(DhtWire.toProto(alive)).build())
                .thenApply(r -> DhtWire.contacts(r.getPeersList(), "peers", book));
    }

    private static FindNodeRequest findNodeRequest(NodeId target) {
        return FindNodeRequest.newBuilder().setTarget(ByteString.copyFrom(target.bytes())).build();
    }

    private interface Verification<T> {
        T get() throws InvalidRecordException;
    }

    private static <T> T verified(Verification<T> v) {
        try {
            return v.get();
        } catch (InvalidRecordException e) {
            throw new CompletionException(e);
        }
    }

    /** Number of remote gateways with an open channel. */
    public int connections() {
        return connections.size();
    }

    @Override
    public void close() {
        connections.values().forEach(c -> GrpcChannels.close(c.owned));
        connections.clear();
        routed.clear();
        dialer.close();
    }
}
