package dev.p2psuite.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Detachable;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RawMessagesTest {

    private static final int[] SIZES = {0, 1, 16_383, 16_384, 262_144 + 5};

    /** A unary echo whose server side holds the request as {@link RawMessages#DETACHED} and sends it back as is. */
    private static final MethodDescriptor<InputStream, InputStream> ECHO = MethodDescriptor
            .<InputStream, InputStream>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("test.Raw/Echo").setRequestMarshaller(RawMessages.DETACHED)
            .setResponseMarshaller(RawMessages.DETACHED).build();

    @Test
    void aMessageReceivedOverNettyIsDetachedFromTheTransportAndSentOnByteForByte() throws Exception {
        List<Class<?>> received = new CopyOnWriteArrayList<>();
        ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Raw")
                .addMethod(ECHO, (inbound, headers) -> echoOnce(inbound, received)).build();
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(echo).build()
                .start();
        ManagedChannel channel = GrpcChannels.open("127.0.0.1:" + server.getPort());
        try {
            MethodDescriptor<byte[], byte[]> bytesEcho = ECHO.toBuilder(RawMessages.BYTES, RawMessages.BYTES).build();
            for (int size : SIZES) {
                byte[] sent = new byte[size];
                new SplittableRandom(size).nextBytes(sent);
                ClientCall<byte[], byte[]> call = channel.newCall(bytesEcho, CallOptions.DEFAULT);
                assertThat(ClientCalls.blockingUnaryCall(call, sent)).as("%d bytes", size).isEqualTo(sent);
            }
            // No copy on the way in: the server held the transport's own buffers.
            assertThat(received).hasSize(SIZES.length).allSatisfy(type ->
                    assertThat(Detachable.class.isAssignableFrom(type) || type.getName().contains("BufferInputStream"))
                            .as(type.getName()).isTrue());
        } finally {
            GrpcChannels.close(channel);
            server.shutdownNow().awaitTermination();
        }
    }

    private static ServerCall.Listener<InputStream> echoOnce(ServerCall<InputStream, InputStream> inbound,
            List<Class<?>> received) {
        inbound.request(1);
        return new ServerCall.Listener<>() {
            @Override
            public void onMessage(InputStream message) {
                received.add(message.getClass());
                inbound.sendHeaders(new Metadata());
                inbound.sendMessage(message); // the transport drains and closes it
                inbound.close(Status.OK, new Metadata());
            }
        };
    }

    @Test
    void aPrefixedMessageDrainsAndReadsAsHeaderThenBody() throws Exception {
        byte[] header = {7, 8, 9};
        byte[] body = new byte[100_000];
        new SplittableRandom(1).nextBytes(body);
        byte[] whole = new byte[header.length + body.length];
        System.arraycopy(header, 0, whole, 0, header.length);
        System.arraycopy(body, 0, whole, header.length, body.length);

        InputStream drained = RawMessages.prefixed(header, new ByteArrayInputStream(body));
        assertThat(drained).isInstanceOf(Drainable.class).isInstanceOf(KnownLength.class);
        assertThat(drained.available()).isEqualTo(whole.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(((Drainable) drained).drainTo(out)).isEqualTo(whole.length);
        assertThat(out.toByteArray()).isEqualTo(whole);

        InputStream read = RawMessages.prefixed(header, new ByteArrayInputStream(body));
        List<Byte> firstTwo = new ArrayList<>();
        firstTwo.add((byte) read.read());
        firstTwo.add((byte) read.read());
        assertThat(firstTwo).containsExactly((byte) 7, (byte) 8);
        byte[] rest = read.readAllBytes();
        assertThat(rest).hasSize(whole.length - 2);
        assertThat(rest[0]).isEqualTo((byte) 9);
        assertThat(read.read()).isEqualTo(-1);
    }

    @Test
    void aMessageFromATransportThatCannotDetachIsCopiedOnceAndStillDrains() throws Exception {
        byte[] bytes = {1, 2, 3};
        InputStream parsed = RawMessages.DETACHED.parse(new ByteArrayInputStream(bytes));
        InputStream sent = RawMessages.DETACHED.stream(parsed);
        assertThat(sent).isInstanceOf(Drainable.class).isInstanceOf(KnownLength.class);
        assertThat(sent.readAllBytes()).isEqualTo(bytes);
    }
}
