package dev.p2psuite.identity;

import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Server side of the per-connection signed-challenge handshake; one per node, thread-safe.
 *
 * <pre>
 * caller                                     responder (this)
 *   client nonce (16..64 bytes)          -->
 *                                        <--  Challenge: server nonce (32, single use, 30 s),
 *                                             responder record, sig_R("p2p-auth-v1/responder" | client nonce | server nonce)
 *   server nonce, caller record,
 *   sig_C("p2p-auth-v1/caller" | server nonce | responder ID | caller ID)  -->
 *                                        <--  Session: caller ID, token, expiry
 * </pre>
 * Both sides sign the other's fresh nonce, so neither signature can be replayed; the caller also signs the responder's
 * ID, so a malicious responder cannot relay the caller's answer to a third node. The caller's record proves the ID is
 * the hash of the key that signed. The token that follows is stateless: caller ID (20) | expiry unix ms (uint64 BE) |
 * HMAC-SHA256 of those 28 bytes under a per-instance random secret; it is a bearer credential, so it only proves
 * identity on a channel an eavesdropper cannot read, and it is only valid on this instance (a restart or another
 * process invalidates it: the caller re-authenticates on failure).
 */
public final class PeerAuthenticator {

    public static final Duration DEFAULT_NONCE_LIFETIME = Duration.ofSeconds(30);
    public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(1);
    /** Caps memory used by challenges that are never answered (a cheap flood); the oldest are dropped first. */
    public static final int MAX_OUTSTANDING_NONCES = 10_000;
    public static final int SERVER_NONCE_BYTES = 32;
    public static final int MIN_CLIENT_NONCE_BYTES = 16;
    public static final int MAX_CLIENT_NONCE_BYTES = 64;
    public static final String RESPONDER_CONTEXT = "p2p-auth-v1/responder";
    public static final String CALLER_CONTEXT = "p2p-auth-v1/caller";
    /** Caller ID (20) + expiry ms (8) + HMAC-SHA256 (32). */
    public static final int TOKEN_BYTES = NodeId.LENGTH_BYTES + Long.BYTES + 32;

    private static final int TOKEN_SIGNED_BYTES = NodeId.LENGTH_BYTES + Long.BYTES;
    private static final String HMAC = "HmacSHA256";

    private final NodeKey self;
    private final Supplier<SignedPeerRecord> selfRecord;
    private final PeerRecordBook book;
    private final InstantSource clock;
    private final SecureRandom random;
    private final Duration nonceLifetime;
    private final Duration sessionLifetime;
    private final SecretKeySpec tokenKey;
    private final ThreadLocal<Mac> macs;
    /** Insertion order is issue order, so expired nonces collect at the head. Guarded by itself. */
    private final LinkedHashMap<ByteBuffer, NonceState> nonces = new LinkedHashMap<>();

    /** Issued nonces stay here after use until they expire, so a replay is reported as such. */
    private static final class NonceState {
        final Instant expiresAt;
        boolean used;

        NonceState(Instant expiresAt) {
            this.expiresAt = expiresAt;
        }
    }

    public PeerAuthenticator(NodeKey self, Supplier<SignedPeerRecord> selfRecord, PeerRecordBook book,
                             InstantSource clock, SecureRandom random) {
        this(self, selfRecord, book, clock, random, DEFAULT_NONCE_LIFETIME, DEFAULT_SESSION_LIFETIME);
    }

    public PeerAuthenticator(NodeKey self, Supplier<SignedPeerRecord> selfRecord, PeerRecordBook book,
                             InstantSource clock, SecureRandom random, Duration nonceLifetime,
                             Duration sessionLifetime) {
        this.self = Objects.requireNonNull(self, "self key");
        this.selfRecord = Objects.requireNonNull(selfRecord, "self record supplier");
        this.book = Objects.requireNonNull(book, "record book");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.nonceLifetime = requirePositive(nonceLifetime, "nonce lifetime");
        this.sessionLifetime = requirePositive(sessionLifetime, "session lifetime");
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.tokenKey = new SecretKeySpec(secret, HMAC);
        Arrays.fill(secret, (byte) 0);
        // Mac instances are not thread-safe, and verifyToken runs on every inbound call.
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    private static Duration requirePositive(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return d;
    }

    /**
     * Starts a handshake: issues a fresh server nonce and proves this node's identity over the caller's nonce.
     *
     * @throws IllegalArgumentException if the client nonce is not 16..64 bytes
     */
    public Challenge challenge(byte[] clientNonce) {
        if (clientNonce == null || clientNonce.length < MIN_CLIENT_NONCE_BYTES
                || clientNonce.length > MAX_CLIENT_NONCE_BYTES) {
            throw new IllegalArgumentException("client nonce must be " + MIN_CLIENT_NONCE_BYTES + ".."
                    + MAX_CLIENT_NONCE_BYTES + " bytes, got " + (clientNonce == null ? "none" : clientNonce.length));
        }
        SignedPeerRecord record = selfRecord.get();
        if (record == null || !record.nodeId().equals(self.nodeId())) {
            throw new IllegalStateException("own peer record is missing or not for node " + self.nodeId().toHex());
        }
        byte[] serverNonce = new byte[SERVER_NONCE_BYTES];
        random.nextBytes(serverNonce);
        Instant now = clock.instant();
        synchronized (nonces) {
            purgeExpired(now);
            while (nonces.size() >= MAX_OUTSTANDING_NONCES) {
                Iterator<?> eldest = nonces.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
            nonces.put(ByteBuffer.wrap(serverNonce.clone()), new NonceState(now.plus(nonceLifetime)));
        }
        byte[] signature = self.sign(responderMessage(clientNonce, serverNonce));
        return new Challenge(serverNonce, record, signature);
    }

    /**
     * Completes a handshake: consumes the server nonce, verifies the caller's record (through the book, so an older
     * record than one already seen is refused) and its signature over the challenge.
     *
     * @throws AuthenticationException naming the check that failed
     */
    public Session authenticate(byte[] serverNonce, SignedPeerRecord caller, byte[] callerSignature)
            throws AuthenticationException {
        if (caller == null) {
            throw new AuthenticationException("the caller sent no peer record");
        }
        Instant now = clock.instant();
        consumeNonce(serverNonce == null ? new byte[0] : serverNonce, now);
        try {
            book.accept(caller);
        } catch (InvalidRecordException e) {
            throw new AuthenticationException("caller's peer record is invalid (" + e.reason() + "): " + e.getMessage(), e);
        }
        NodeId callerId = caller.nodeId();
        byte[] message = callerMessage(serverNonce, self.nodeId(), callerId);
        if (!NodeKey.verify(caller.record().publicKey(), message, callerSignature)) {
            throw new AuthenticationException("caller signature does not verify with the public key of node "
                    + callerId.toHex() + ": the caller does not hold that node's key, or signed another challenge");
        }
        long expiryMillis = now.plus(sessionLifetime).toEpochMilli();
        return new Session(callerId, token(callerId, expiryMillis), Instant.ofEpochMilli(expiryMillis));
    }

    /**
     * The node ID a session token was issued to.
     *
     * @throws AuthenticationException if the token is malformed, was not issued by this instance or was altered, or
     *                                 has expired
     */
    public NodeId verifyToken(byte[] token) throws AuthenticationException {
        if (token == null || token.length != TOKEN_BYTES) {
            throw new AuthenticationException("session token must be " + TOKEN_BYTES + " bytes, got "
                    + (token == null ? "none" : token.length) + "; authenticate again");
        }
        byte[] expected = mac(token);
        byte[] presented = Arrays.copyOfRange(token, TOKEN_SIGNED_BYTES, TOKEN_BYTES);
        if (!MessageDigest.isEqual(expected, presented)) {
            throw new AuthenticationException("session token has a bad MAC: it was altered or not issued by this"
                    + " node (or this node restarted); authenticate again");
        }
        long expiryMillis = ByteBuffer.wrap(token, NodeId.LENGTH_BYTES, Long.BYTES).getLong();
        if (clock.millis() >= expiryMillis) {
            throw new AuthenticationException("session token expired at " + Instant.ofEpochMilli(expiryMillis)
                    + "; authenticate again");
        }
        return NodeId.of(Arrays.copyOf(token, NodeId.LENGTH_BYTES));
    }

    public NodeId nodeId() {
        return self.nodeId();
    }

    /** Nonces issued and not yet expired or dropped (used ones included until they expire). */
    public int outstandingNonces() {
        synchronized (nonces) {
            return nonces.size();
        }
    }

    private void consumeNonce(byte[] serverNonce, Instant now) throws AuthenticationException {
        synchronized (nonces) {
            NonceState state = nonces.get(ByteBuffer.wrap(serverNonce));
            if (state == null) {
                throw new AuthenticationException("server nonce is unknown to this node: never issued here, expired"
                        + " long ago, or dropped under load; request a new challenge");
            }
            if (state.used) {
                throw new AuthenticationException("server nonce was already used (replayed Authenticate);"
                        + " each challenge is good for one attempt, request a new challenge");
            }
            // Consumed before any other check, so a failed attempt cannot be retried against the same nonce.
            state.used = true;
            if (!now.isBefore(state.expiresAt)) {
                throw new AuthenticationException("server nonce expired at " + state.expiresAt + " (nonces live "
                        + nonceLifetime.toMillis() + " ms); request a new challenge");
            }
        }
    }

    private void purgeExpired(Instant now) {
        Iterator<Map.Entry<ByteBuffer, NonceState>> it = nonces.entrySet().iterator();
        while (it.hasNext()) {
            if (now.isBefore(it.next().getValue().expiresAt)) {
                return;
            }
            it.remove();
        }
    }

    private byte[] token(NodeId peer, long expiryMillis) {
        ByteBuffer buf = ByteBuffer.allocate(TOKEN_BYTES);
        buf.put(peer.bytes()).putLong(expiryMillis);
        buf.put(mac(buf.array()));
        return buf.array();
    }

    private byte[] mac(byte[] tokenOrPrefix) {
        Mac mac = macs.get();
        mac.update(tokenOrPrefix, 0, TOKEN_SIGNED_BYTES);
        return mac.doFinal();
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(tokenKey);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is mandatory in every Java runtime", e);
        }
    }

    public static byte[] responderMessage(byte[] clientNonce, byte[] serverNonce) {
        return Bytes.concat(Bytes.ascii(RESPONDER_CONTEXT), clientNonce, serverNonce);
    }

    public static byte[] callerMessage(byte[] serverNonce, NodeId responder, NodeId caller) {
        return Bytes.concat(Bytes.ascii(CALLER_CONTEXT), serverNonce, responder.bytes(), caller.bytes());
    }
}
