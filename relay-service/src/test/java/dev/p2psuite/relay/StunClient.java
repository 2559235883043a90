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

/** A minimal STUN client for tests: sends datagrams from a real UDP socket and reads the answers. */
final class StunClient {

    /** How long to wait for one answer on loopback. */
    static final int ANSWER_TIMEOUT_MS = 1_000;
    /** Sends of one request before giving up (UDP may drop, RFC 8489 §6.2.1 retransmits). */
    static final int ATTEMPTS = 3;

    private static final SecureRandom RANDOM = new SecureRandom();

    private StunClient() {
    }

    static byte[] newTransactionId() {
        byte[] id = new byte[Stun.TRANSACTION_ID_BYTES];
        RANDOM.nextBytes(id);
        return id;
    }

    static byte[] bindingRequest(byte[] transactionId) {
        return StunCodec.encode(new StunMessage(Stun.BINDING_REQUEST, transactionId, List.of()), true);
    }

    /** Sends {@code request} until an answer with its transaction ID comes back; that answer, decoded. */
    static StunMessage exchange(DatagramSocket socket, InetSocketAddress server, byte[] request) throws IOException {
        byte[] id = Arrays.copyOfRange(request, 8, 20);
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            socket.send(new DatagramPacket(request, request.length, server));
            long deadline = System.nanoTime() + ANSWER_TIMEOUT_MS * 1_000_000L;
            byte[] answer;
            while ((answer = receive(socket, deadline)) != null) {
                StunDecodeResult r = StunCodec.decode(answer);
                if (r instanceof StunDecodeResult.Decoded d && Arrays.equals(d.message().transactionId(), id)) {
                    return d.message();
                }
            }
        }
        throw new AssertionError("no STUN answer from " + server + " after " + ATTEMPTS + " sends");
    }

    /** The next datagram before the deadline, or null. */
    static byte[] receive(DatagramSocket socket, long deadlineNanos) throws IOException {
        long left = (deadlineNanos - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
            return null;
        }
        socket.setSoTimeout((int) left);
        DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
        try {
            socket.receive(packet);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(packet.getData(), packet.getLength());
    }
}
