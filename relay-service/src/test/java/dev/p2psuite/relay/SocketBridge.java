package dev.p2psuite.relay;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.relay.v1.ConnectAccept;
import dev.p2psuite.proto.relay.v1.ConnectOpen;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Joins one end of a circuit to a TCP socket, so that an unmodified gRPC client or server runs over the circuit
 * (what the gateway's connection layer will do): bytes from the relay are written to the socket, bytes read from
 * the socket go to the relay as data frames when the call is ready, half-closes pass both ways.
 */
final class SocketBridge implements ClientResponseObserver<ConnectRequest, ConnectResponse> {

    final CompletableFuture<Void> opened = new CompletableFuture<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final CompletableFuture<Socket> socket = new CompletableFuture<>();
    private ClientCallStreamObserver<ConnectRequest> requests;

    /** Opens a circuit (to a reservation if {@code host} is empty, else TURN-style) and serves a local port. */
    static SocketBridge open(RelayPeerGrpc.RelayPeerStub stub, NodeId target, String host, int port) {
        SocketBridge b = new SocketBridge();
        stub.connect(b);
        b.send(ConnectRequest.newBuilder().setOpen(ConnectOpen.newBuilder().setTargetNodeId(ByteString.copyFrom(
                target.bytes())).setTargetHost(host).setTargetPort(port)).build());
        return b;
    }

    /** Accepts an announced circuit and connects it to {@code localPort} (the reserving node's gateway). */
    static SocketBridge accept(RelayPeerGrpc.RelayPeerStub stub, ByteString circuitId, int localPort) throws IOException {
        SocketBridge b = new SocketBridge();
        b.attach(new Socket("127.0.0.1", localPort));
        stub.connect(b);
        b.send(ConnectRequest.newBuilder().setAccept(ConnectAccept.newBuilder().setCircuitId(circuitId)).build());
        return b;
    }

    /** A local port whose first connection is joined to this circuit (for a gRPC channel to dial). */
    int listenLocally() throws IOException {
        ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try (server) {
                attach(server.accept());
            } catch (IOException e) {
                socket.completeExceptionally(e);
            }
        }, "bridge-accept");
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    private void attach(Socket s) {
        try {
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            // fine without
        }
        socket.complete(s);
        Thread reader = new Thread(() -> pumpToRelay(s), "bridge-read");
        reader.setDaemon(true);
        reader.start();
    }

    private synchronized void send(ConnectRequest frame) {
        requests.onNext(frame);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ConnectRequest> requestStream) {
        requests = requestStream;
        requestStream.disableAutoRequestWithInitial(1);
        requestStream.setOnReadyHandler(() -> {
            synchronized (this) {
                notifyAll();
            }
        });
    }

    /** Socket to relay: a chunk at a time, each only once the call can take it. */
    private void pumpToRelay(Socket s) {
        byte[] buffer = new byte[65_536];
        try {
            opened.get(10, TimeUnit.SECONDS);
            InputStream in = s.getInputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (this) {
                    while (!requests.isReady() && !closed.isDone()) {
                        wait(100);
                    }
                    if (closed.isDone()) {
                        return;
                    }
                    requests.onNext(ConnectRequest.newBuilder().setData(ByteString.copyFrom(buffer, 0, n)).build());
                }
            }
            synchronized (this) {
                requests.onCompleted();
            }
        } catch (Exception e) {
            synchronized (this) {
                if (!closed.isDone()) {
                    requests.cancel("bridge socket failed", e);
                }
            }
        }
    }

    @Override
    public void onNext(ConnectResponse frame) {
        try {
            switch (frame.getFrameCase()) {
                case OPENED -> opened.complete(null);
                case DATA -> {
                    // blocks this call's callback thread while the socket is slow: that is the backpressure
                    byte[] bytes = frame.getData().toByteArray();
                    socket.get(10, TimeUnit.SECONDS).getOutputStream().write(bytes);
                }
                case HALF_CLOSED -> socket.get(10, TimeUnit.SECONDS).shutdownOutput();
                default -> {
                }
            }
        } catch (Exception e) {
            synchronized (this) {
                requests.cancel("bridge socket failed", e);
            }
            return;
        }
        synchronized (this) {
            requests.request(1);
        }
    }

    @Override
    public void onError(Throwable t) {
        finish(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        finish(Status.OK);
    }

    private void finish(Status status) {
        closed.complete(status);
        opened.completeExceptionally(status.asRuntimeException());
        synchronized (this) {
            notifyAll();
        }
        Socket s = socket.getNow(null);
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public String toString() {
        return "SocketBridge" + Arrays.asList(opened.isDone(), closed.getNow(null));
    }
}
