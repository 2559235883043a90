package dev.p2psuite.grpc;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.relay.v1.ConnectOpened;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * One end of a relayed circuit (relay_peer.proto {@code Connect}) joined to a local TCP socket: bytes read from the
 * socket go out as {@code data} frames, frames from the relay are written to the socket. Used by the node that
 * accepts a circuit (the socket goes to its own gateway, so the peer RPCs arriving through the relay are served
 * unchanged) and by a node dialing through a relay (the socket comes from a local gRPC channel, see
 * {@link RelayBridge}).
 *
 * <p>Flow control end to end: the next frame from the relay is requested only after the previous one was written
 * to the socket, and the socket is read only while the call {@code isReady()}; nothing queues up here.
 */
public final class CircuitSocket {

    /** Bytes read from the socket per frame: within the relay's 1 MiB frame limit, big enough for bulk pieces. */
    public static final int FRAME_BYTES = 256 * 1024;

    private final ClientCall<ConnectRequest, ConnectResponse> call;
    private final Socket socket;
    private final CompletableFuture<ConnectOpened> opened = new CompletableFuture<>();
    private final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final Object readyLock = new Object();

    private CircuitSocket(Channel channel, Socket socket) {
        this.call = channel.newCall(RelayPeerGrpc.getConnectMethod(), CallOptions.DEFAULT);
        this.socket = socket;
    }

    /**
     * Opens (or accepts) a circuit on {@code channel} (which carries the session with the relay) with
     * {@code first} as its first frame, and splices it to {@code socket} once the relay answers {@code opened}.
     * The returned future completes with the {@code opened} frame, or fails with the relay's status; the socket
     * is closed when the circuit ends either way.
     */
    public static CircuitSocket start(Channel channel, ConnectRequest first, Socket socket) {
        CircuitSocket c = new CircuitSocket(channel, socket);
        c.begin(first);
        return c;
    }

    public CompletableFuture<ConnectOpened> opened() {
        return opened;
    }

    /** Completes with the circuit's final status. */
    public CompletableFuture<Status> closed() {
        return closed;
    }

    private void begin(ConnectRequest first) {
        synchronized (call) {
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(ConnectResponse message) {
                    handle(message);
                }

                @Override
                public void onReady() {
                    synchronized (readyLock) {
                        readyLock.notifyAll();
                    }
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    opened.completeExceptionally(status.asRuntimeException(trailers));
                    closeSocket();
                    synchronized (readyLock) {
                        readyLock.notifyAll();
                    }
                    closed.complete(status);
                }
            }, new Metadata());
            call.request(1);
            call.sendMessage(first);
        }
    }

    private void handle(ConnectResponse message) {
        try {
            switch (message.getFrameCase()) {
                case OPENED -> {
                    opened.complete(message.getOpened());
                    Thread reader = new Thread(this::pumpSocketToCall, "circuit-reader");
                    reader.setDaemon(true);
                    reader.start();
                }
                case DATA -> {
                    OutputStream out = socket.getOutputStream();
                    message.getData().writeTo(out); // blocking: the next frame is asked for once this one is out
                    out.flush();
                }
                case HALF_CLOSED -> socket.shutdownOutput();
                default -> {
                }
            }
            synchronized (call) {
                call.request(1);
            }
        } catch (IOException e) {
            cancel("the local connection failed: " + e.getMessage());
        }
    }

    private void pumpSocketToCall() {
        byte[] buffer = new byte[FRAME_BYTES];
        try {
            InputStream in = socket.getInputStream();
            while (true) {
                int n = in.read(buffer);
                if (n < 0) {
                    synchronized (call) {
                        call.halfClose();
                    }
                    return;
                }
                if (n == 0) {
                    continue;
                }
                awaitReady();
                if (closed.isDone()) {
                    return;
                }
                ConnectRequest frame = ConnectRequest.newBuilder().setData(ByteString.copyFrom(buffer, 0, n)).build();
                synchronized (call) {
                    call.sendMessage(frame);
                }
            }
        } catch (IOException e) {
            if (!closed.isDone()) {
                cancel("the local connection failed: " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel("interrupted");
        }
    }

    private void awaitReady() throws InterruptedException {
        synchronized (readyLock) {
            while (!closed.isDone()) {
                boolean ready;
                synchronized (call) {
                    ready = call.isReady();
                }
                if (ready) {
                    return;
                }
                readyLock.wait(1_000);
            }
        }
    }

    /** Ends the circuit (the relay tells the other end CANCELLED). */
    public void cancel(String why) {
        synchronized (call) {
            call.cancel(why, null);
        }
        closeSocket();
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
