package dev.p2psuite.gateway;

import dev.p2psuite.grpc.RawMessages;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Content bytes through the gateway without parsing them: node_api's {@code PutContentRequest} and storage_internal's
 * have the same fields and numbers, and storage's {@code ReadContentResponse} is node_api's {@code Chunk} field for
 * field, so the gateway passes puts to storage-service as the client sent them and wraps each read chunk as
 * {@code GetContentResponse.chunk} (a 2..4-byte prefix) instead of parsing, copying and re-encoding 256 KiB per
 * message. storage-service validates every message, as it did when the gateway re-encoded them.
 */
final class RawContentMethods {

    /** {@code GetContentResponse.chunk} is field 3, length-delimited. */
    private static final int CHUNK_TAG = (3 << 3) | 2;

    private RawContentMethods() {
    }

    /** A {@code ReadContentResponse} as read from storage-service, sent to the client as a GetContentResponse chunk. */
    record RawChunk(byte[] readContentResponse) {
    }

    /** storage_internal ReadContent with its responses left serialized. */
    static final MethodDescriptor<ReadContentRequest, byte[]> READ_CONTENT = StorageInternalGrpc.getReadContentMethod()
            .toBuilder(ProtoUtils.marshaller(ReadContentRequest.getDefaultInstance()), RawMessages.BYTES).build();

    /** storage_internal PutContent with its requests passed on serialized. */
    static final MethodDescriptor<byte[], dev.p2psuite.proto.storage.v1.PutContentResponse> STORAGE_PUT =
            StorageInternalGrpc.getPutContentMethod().toBuilder(RawMessages.BYTES,
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
                return new PrefixedBytes(raw.readContentResponse());
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
        MethodDescriptor<byte[], dev.p2psuite.proto.gateway.v1.PutContentResponse> rawPut =
                NodeApiGrpc.getPutContentMethod().toBuilder(RawMessages.BYTES,
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

    /** A length-delimited field header followed by the bytes, drained in two writes (no copy here). */
    private static final class PrefixedBytes extends InputStream implements Drainable, KnownLength {
        private final byte[] header;
        private final byte[] body;
        private int pos;

        PrefixedBytes(byte[] body) {
            this.body = body;
            byte[] h = new byte[6];
            int n = 0;
            h[n++] = (byte) CHUNK_TAG;
            int len = body.length;
            while ((len & ~0x7F) != 0) {
                h[n++] = (byte) ((len & 0x7F) | 0x80);
                len >>>= 7;
            }
            h[n++] = (byte) len;
            this.header = java.util.Arrays.copyOf(h, n);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = available();
            if (pos < header.length) {
                target.write(header, pos, header.length - pos);
                target.write(body);
            } else {
                target.write(body, pos - header.length, body.length - (pos - header.length));
            }
            pos = header.length + body.length;
            return n;
        }

        @Override
        public int available() {
            return header.length + body.length - pos;
        }

        @Override
        public int read() {
            if (pos >= header.length + body.length) {
                return -1;
            }
            int b = pos < header.length ? header[pos] : body[pos - header.length];
            pos++;
            return b & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int left = available();
            if (left <= 0) {
                return -1;
            }
            int n = Math.min(len, left);
            for (int i = 0; i < n; ) {
                if (pos < header.length) {
                    b[off + i++] = header[pos++];
                } else {
                    int k = Math.min(n - i, body.length - (pos - header.length));
                    System.arraycopy(body, pos - header.length, b, off + i, k);
                    i += k;
                    pos += k;
                }
            }
            return n;
        }
    }
}
