package dev.p2psuite.relay;

import dev.p2psuite.grpc.PeerAuthService;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.List;

/** Another node's gateway, as far as a relay's dials see it: PeerAuth on 127.0.0.1, answering as its own key. */
final class FakeNode implements AutoCloseable {

    final NodeKey key;
    final Server server;

    FakeNode(NodeKey key) {
        this.key = key;
        SecureRandom random = new SecureRandom();
        try {
            Server[] holder = new Server[1];
            SignedPeerRecord[] record = new SignedPeerRecord[1];
            PeerAuthenticator auth = new PeerAuthenticator(key, () -> record[0], new PeerRecordBook(100),
                    InstantSource.system(), random);
            holder[0] = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new PeerAuthService(auth))
                    .build()
                    .start();
            record[0] = SignedPeerRecord.sign(key, 1, List.of(Candidate.host("127.0.0.1", holder[0].getPort())));
            this.server = holder[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeNode() {
        this(NodeKey.generate(new SecureRandom()));
    }

    NodeId id() {
        return key.nodeId();
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
