package dev.p2psuite.gateway;

import dev.p2psuite.grpc.RawMessages;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.InputStream;

/**
 * Content bytes through the gateway without parsing them: node_api's {@code PutContentRequest} and storage_internal's
 * have the same fields and numbers, and storage's {@code ReadContentResponse} is node_api's {@code Chunk} field for
 * field, so the gateway passes puts to storage-service as the client sent them and wraps each read chunk as
 * {@code GetContentResponse.chunk} (a 2..4-byte prefix) instead of parsing, copying and re-encoding 256 KiB per
 * message. storage-service validates every message, as it did when the gateway re-encoded them.
 *
 * <p>A read chunk is not even copied out of the transport: grpc-java hands a received message over as a
 * {@link RawMessages#DETACHED} stream over the network buffers it arrived in, which is drained into the
 * client's stream when sent. Before, each 256 KiB chunk was first copied into a new zero-filled {@code byte[]}: perf
 * showed the copy, the zeroing and the young collections it caused as a fifth of the gateway's CPU while forwarding.
 */
final class RawContentMethods {

    /** {@code GetContentResponse.chunk} is field 3, length-delimited. */
    private static final int CHUNK_TAG = (3 << 3) | 2;

    private RawContentMethods() {
    }

    /**
     * A {@code ReadContentResponse} as received from storage-service (a stream over the transport's buffers, length
     * known), sent to the client as a GetContentResponse chunk. Whoever ends up holding it closes it: the transport
     * after sending it, or the gateway when it drops it.
     */
    record RawChunk(InputStream readContentResponse) implements AutoCloseable {
        RawChunk(byte[] readContentResponse) {
            this(new java.io.ByteArrayInputStream(readContentResponse));
        }

        @Override
        public void close() {
            RawMessages.closeQuietly(readContentResponse);
        }
    }

    /** storage_internal ReadContent with its responses left serialized, in the transport's buffers. */
    static final MethodDescriptor<ReadContentRequest, InputStream> READ_CONTENT = StorageInternalGrpc
            .getReadContentMethod().toBuilder(ProtoUtils.marshaller(ReadContentRequest.getDefaultInstance()), RawMessages.DETACHED)
            .build();

    /** storage_internal PutContent with its requests passed on serialized. */
    static final MethodDescriptor<InputStream, dev.p2psuite.proto.storage.v1.PutContentResponse> STORAGE_PUT =
            StorageInternalGrpc.getPutContentMethod().toBuilder(RawMessages.DETACHED,
                    ProtoUtils.marshaller(dev.p2psuite.proto.storage.v1.PutContentResponse.getDefaultInstance())).build();

    /**
     * GetContent responses: a {@link GetContentResponse} is encoded as usual, a {@link RawChunk} as its prefix and
     * bytes. Only servers encode responses; parsing gives the usual message.
     */
    static final MethodDescriptor.Marshaller<Object> GET_RESPONSES = new MethodDescriptor.Marshaller<>() {
        private final MethodDescriptor.Marshaller<GetContentResponse> proto =
                ProtoUtils.marshaller(GetContentResponse.getDefaultInstance());

        @Override
        public InputStream stream(Object value) {
            if (value instanceof RawChunk raw) {
                return RawMessages.prefixed(chunkHeader(raw.readContentResponse()), raw.readContentResponse());
            }
            return proto.stream((GetContentResponse) value);
        }

        @Override
        public Object parse(InputStream stream) {
            return proto.parse(stream);
        }
    };

    /**
     * The service definition with GetContent and PutContent re-bound to the raw marshallers; every other method
     * as generated. Schema descriptors are kept, so reflection still describes the real messages.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static ServerServiceDefinition rebind(ServerServiceDefinition generated, ContentApi content) {
        ServiceDescriptor service = generated.getServiceDescriptor();
        MethodDescriptor<?, ?> get = NodeApiGrpc.getGetContentMethod();
        MethodDescriptor<?, ?> put = NodeApiGrpc.getPutContentMethod();
        MethodDescriptor<dev.p2psuite.proto.gateway.v1.GetContentRequest, Object> rawGet =
                NodeApiGrpc.getGetContentMethod().toBuilder(
                        ProtoUtils.marshaller(dev.p2psuite.proto.gateway.v1.GetContentRequest.getDefaultInstance()),
                        GET_RESPONSES).build();
        MethodDescriptor<InputStream, dev.p2psuite.proto.gateway.v1.PutContentResponse> rawPut =
                NodeApiGrpc.getPutContentMethod().toBuilder(RawMessages.DETACHED,
                        ProtoUtils.marshaller(dev.p2psuite.proto.gateway.v1.PutContentResponse.getDefaultInstance()))
                        .build();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(service.getName())
                .setSchemaDescriptor(service.getSchemaDescriptor());
        ServerServiceDefinition.Builder definition;
        java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
        for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
            String name = m.getMethodDescriptor().getFullMethodName();
            if (name.equals(get.getFullMethodName())) {
                methods.add(ServerMethodDefinition.create(rawGet, io.grpc.stub.ServerCalls.asyncServerStreamingCall(
                        content::getRaw)));
            } else if (name.equals(put.getFullMethodName())) {
                methods.add(ServerMethodDefinition.create(rawPut, io.grpc.stub.ServerCalls.asyncClientStreamingCall(
                        content::putRaw)));
            } else {
                methods.add(m);
            }
        }
        for (ServerMethodDefinition<?, ?> m : methods) {
            descriptor.addMethod(m.getMethodDescriptor());
        }
        definition = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> m : methods) {
            definition.addMethod(m);
        }
        return definition.build();
    }

    /** The length-delimited field header of a GetContentResponse chunk holding {@code body} (its whole length). */
    private static byte[] chunkHeader(InputStream body) {
        int len = RawMessages.length(body); // the whole serialized ReadContentResponse
        byte[] h = new byte[6];
        int n = 0;
        h[n++] = (byte) CHUNK_TAG;
        while ((len & ~0x7F) != 0) {
            h[n++] = (byte) ((len & 0x7F) | 0x80);
            len >>>= 7;
        }
        h[n++] = (byte) len;
        return java.util.Arrays.copyOf(h, n);
    }
}
