package dev.p2psuite.storage.store;

import dev.p2psuite.storage.core.ContentId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import dev.p2psuite.storage.StorageException;
import org.infinispan.client.hotrod.RemoteCache;
import org.infinispan.client.hotrod.RemoteCacheManager;
import org.infinispan.client.hotrod.DataFormat;
import org.infinispan.client.hotrod.configuration.ConfigurationBuilder;
import org.infinispan.client.hotrod.exceptions.TransportException;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.commons.marshall.IdentityMarshaller;
import org.infinispan.commons.util.CloseableIterator;

/**
 * The piece store in a remote Infinispan server, over Hot Rod: the same two caches as {@link InfinispanPieceStore}
 * ({@value InfinispanPieceStore#PIECES_CACHE}: hex SHA-256 → piece bytes, {@value InfinispanPieceStore#MANIFESTS_CACHE}:
 * content ID → {@link StoredContent} encoding), which the server's operator defines (persistence and replication
 * are the server's: a piece is acknowledged when the server acknowledges the write). Keys and values travel as
 * plain bytes ({@link IdentityMarshaller}: no marshalling wrapper around a 256 KiB piece); keys are the UTF-8 of
 * the same strings the embedded store uses.
 */
public final class RemotePieceStore implements PieceStore {

    /** How long connecting to a server and one operation may take before the client tries another server or fails. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(60);

    /** Keys and values are opaque bytes to the server (caches encoded {@code application/octet-stream}). */
    private static final DataFormat BYTES = DataFormat.builder()
            .keyType(MediaType.APPLICATION_OCTET_STREAM).keyMarshaller(IdentityMarshaller.INSTANCE)
            .valueType(MediaType.APPLICATION_OCTET_STREAM).valueMarshaller(IdentityMarshaller.INSTANCE)
            .build();

    private final RemoteCacheManager manager;
    private final RemoteCache<byte[], byte[]> pieces;
    private final RemoteCache<byte[], byte[]> manifests;
    private final String servers;
    private final String description;

    private RemotePieceStore(RemoteCacheManager manager, RemoteCache<byte[], byte[]> pieces,
                             RemoteCache<byte[], byte[]> manifests, String servers, String description) {
        this.manager = manager;
        this.servers = servers;
        this.pieces = pieces;
        this.manifests = manifests;
        this.description = description;
    }

    /**
     * Connects and checks that both caches exist now, so an unreachable server or a missing cache stops the service
     * at startup with a message rather than failing requests later.
     *
     * @param servers {@code host:port} of one or more Hot Rod servers (the client balances and fails over)
     */
    public static RemotePieceStore open(List<String> servers) {
        Objects.requireNonNull(servers, "servers");
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("p2p.storage.remote.servers must name at least one Hot Rod server"
                    + " (host:port) in remote mode");
        }
        ConfigurationBuilder b = new ConfigurationBuilder();
        for (String server : servers) {
            int colon = server.lastIndexOf(':');
            if (colon <= 0 || colon == server.length() - 1 || !server.substring(colon + 1).matches("\\d{1,5}")) {
                throw new IllegalArgumentException("p2p.storage.remote.servers: '" + server
                        + "' must look like host:port, e.g. 127.0.0.1:11222");
            }
            b.addServer().host(server.substring(0, colon)).port(Integer.parseInt(server.substring(colon + 1)));
        }
        b.marshaller(IdentityMarshaller.INSTANCE)
                .connectionTimeout((int) CONNECT_TIMEOUT.toMillis())
                .socketTimeout((int) OPERATION_TIMEOUT.toMillis());
        RemoteCacheManager manager = new RemoteCacheManager(b.build(), false);
        try {
            manager.start();
            RemoteCache<byte[], byte[]> pieces = cache(manager, InfinispanPieceStore.PIECES_CACHE, servers);
            RemoteCache<byte[], byte[]> manifests = cache(manager, InfinispanPieceStore.MANIFESTS_CACHE, servers);
            return new RemotePieceStore(manager, pieces, manifests, String.join(",", servers),
                    "remote Infinispan over Hot Rod at " + String.join(",", servers) + " (caches '"
                            + InfinispanPieceStore.PIECES_CACHE + "' and '" + InfinispanPieceStore.MANIFESTS_CACHE
                            + "'; durability is the server's)");
        } catch (RuntimeException e) {
            manager.stop();
            throw e;
        }
    }

    private static RemoteCache<byte[], byte[]> cache(RemoteCacheManager manager, String name, List<String> servers) {
        RemoteCache<byte[], byte[]> cache;
        try {
            cache = manager.getCache(name);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot reach the Hot Rod server(s) " + String.join(",", servers)
                    + " (p2p.storage.remote.servers): " + e.getMessage(), e);
        }
        if (cache == null) {
            throw new IllegalStateException("the Hot Rod server(s) " + String.join(",", servers) + " have no cache '"
                    + name + "': define caches '" + InfinispanPieceStore.PIECES_CACHE + "' and '"
                    + InfinispanPieceStore.MANIFESTS_CACHE + "' there (encoding " + MediaType.APPLICATION_OCTET_STREAM_TYPE
                    + ", persistent if pieces must survive a restart)");
        }
        return cache.withDataFormat(BYTES);
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A server that cannot be reached is the caller's UNAVAILABLE ("retry later"), said with the servers to check,
     * rather than an internal error carrying the client's stack.
     */
    private <T> T remote(Supplier<T> operation) {
        try {
            return operation.get();
        } catch (TransportException e) {
            throw unreachable(e);
        }
    }

    private StorageException unreachable(Throwable e) {
        return new StorageException(StorageException.Kind.UNAVAILABLE, "the piece store's Hot Rod server(s) "
                + servers + " cannot be reached (p2p.storage.remote.servers): " + e.getMessage(), e);
    }

    @Override
    public CompletableFuture<Void> putPiece(byte[] sha256, byte[] data) {
        return remote(() -> pieces.putAsync(key(MemoryPieceStore.key(sha256)), data)).handle((previous, failure) -> {
            if (failure == null) {
                return null;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            throw cause instanceof TransportException ? unreachable(cause) : new CompletionException(cause);
        });
    }

    @Override
    public byte[] getPiece(byte[] sha256) {
        return remote(() -> pieces.get(key(MemoryPieceStore.key(sha256))));
    }

    @Override
    public boolean hasPiece(byte[] sha256) {
        return remote(() -> pieces.containsKey(key(MemoryPieceStore.key(sha256))));
    }

    @Override
    public boolean removePiece(byte[] sha256) {
        return remove(pieces, key(MemoryPieceStore.key(sha256)));
    }

    @Override
    public void putContent(StoredContent content) {
        remote(() -> manifests.put(key(content.contentId().toString()), content.encode()));
    }

    @Override
    public Optional<StoredContent> getContent(ContentId id) {
        byte[] encoded = remote(() -> manifests.get(key(id.toString())));
        return encoded == null ? Optional.empty() : Optional.of(StoredContent.decode(encoded, id));
    }

    @Override
    public boolean removeContent(ContentId id) {
        return remove(manifests, key(id.toString()));
    }

    private boolean remove(RemoteCache<byte[], byte[]> cache, byte[] key) {
        return remote(() -> {
            if (!cache.containsKey(key)) {
                return false;
            }
            cache.remove(key);
            return true;
        });
    }

    @Override
    public List<ContentId> contentIds() {
        return remote(() -> {
            List<ContentId> ids = new ArrayList<>();
            try (CloseableIterator<byte[]> keys = manifests.keySet().iterator()) {
                while (keys.hasNext()) {
                    ids.add(ContentId.parse(new String(keys.next(), StandardCharsets.UTF_8)));
                }
            }
            return ids;
        });
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        manager.stop();
    }
}
