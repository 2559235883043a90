package dev.p2psuite.relay;

import dev.p2psuite.relay.stun.Stun;
import dev.p2psuite.relay.stun.StunCodec;
import dev.p2psuite.relay.stun.StunDecodeResult;
import dev.p2psuite.relay.stun.StunMessage;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A STUN binding client (RFC 8489 §6.2.1): sends a Binding request over UDP and retransmits with a doubling
 * timeout; the answer's XOR-MAPPED-ADDRESS is this host's address as the server saw it (server-reflexive). The
 * socket is bound to the gateway's port number when it is free for UDP, so that a port-preserving NAT reports the
 * mapping that the gateway's TCP port gets too (TCP and UDP ports are separate spaces).
 */
final class StunBindingClient {

    /** First retransmission timeout (RFC 8489 §6.2.1: RTO 500 ms). */
    static final int INITIAL_RTO_MS = 500;
    /** Requests sent before giving up (RFC 8489 suggests Rc = 7; fewer here: gathering repeats periodically). */
    static final int MAX_REQUESTS = 4;

    private final SecureRandom random;

    StunBindingClient(SecureRandom random) {
        this.random = random;
    }

    /** The mapped address and whether the request left from {@code preferredLocalPort}. */
    record Mapping(InetSocketAddress mapped, boolean fromPreferredPort) {
    }

    Optional<Mapping> bind(InetSocketAddress server, int preferredLocalPort) throws IOException {
        DatagramSocket socket;
        boolean preferred = true;
        try {
            socket = new DatagramSocket(preferredLocalPort);
        } catch (IOException e) {
            socket = new DatagramSocket();
            preferred = false;
        }
        try (DatagramSocket s = socket) {
            byte[] txid = new byte[Stun.TRANSACTION_ID_BYTES];
            random.nextBytes(txid);
            byte[] request = StunCodec.encode(new StunMessage(Stun.BINDING_REQUEST, txid, List.of()), true);
            byte[] buffer = new byte[1_500];
            int rto = INITIAL_RTO_MS;
            for (int i = 0; i < MAX_REQUESTS; i++) {
                s.send(new DatagramPacket(request, request.length, server));
                long until = System.currentTimeMillis() + rto;
                while (true) {
                    long left = until - System.currentTimeMillis();
                    if (left <= 0) {
                        break;
                    }
                    s.setSoTimeout((int) left);
                    DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                    try {
                        s.receive(p);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    Optional<InetSocketAddress> mapped = mapped(Arrays.copyOf(p.getData(), p.getLength()), txid);
                    if (mapped.isPresent()) {
                        return Optional.of(new Mapping(mapped.get(), preferred));
                    }
                }
                rto *= 2;
            }
            return Optional.empty();
        }
    }

    /** XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS) of a success response to our transaction; anything else ignored. */
    static Optional<InetSocketAddress> mapped(byte[] datagram, byte[] txid) {
        if (!(StunCodec.decode(datagram) instanceof StunDecodeResult.Decoded d)) {
            return Optional.empty();
        }
        StunMessage m = d.message();
        if (m.type() != Stun.BINDING_SUCCESS || !Arrays.equals(m.transactionId(), txid)) {
            return Optional.empty();
        }
        return m.first(Stun.ATTR_XOR_MAPPED_ADDRESS).map(a -> StunCodec.decodeXorMappedAddress(a.value(), txid))
                .or(() -> m.first(Stun.ATTR_MAPPED_ADDRESS).map(a -> StunCodec.decodeMappedAddress(a.value())));
    }
}
