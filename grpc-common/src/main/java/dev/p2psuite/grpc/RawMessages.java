package dev.p2psuite.grpc;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Serialized messages passed on as bytes, unparsed: what the gateway's forwarder and the relay's circuits move.
 * One copy in, one write out.
 */
public final class RawMessages {

    private RawMessages() {
    }

    /** The marshaller of a method whose messages are handled as their serialized bytes. */
    public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new MessageBytes(value);
        }

        /**
         * One bulk copy when the transport says how long the message is (grpc-java passes a {@link KnownLength}
         * stream): {@code readAllBytes} would read a composite buffer 8 KiB at a time and then copy the pieces
         * together, which profiling showed as the relay's hottest code.
         */
        @Override
        public byte[] parse(InputStream stream) {
            try {
                if (stream instanceof KnownLength) {
                    int length = stream.available();
                    byte[] bytes = new byte[length];
                    int read = stream.readNBytes(bytes, 0, length);
                    if (read == length && stream.available() == 0) {
                        return bytes;
                    }
                    byte[] rest = stream.readAllBytes();
                    byte[] all = Arrays.copyOf(bytes, read + rest.length);
                    System.arraycopy(rest, 0, all, read, rest.length);
                    return all;
                }
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /**
     * A serialized message as transports want it: its length known up front, drained in one write (grpc-java uses
     * both to skip a buffer copy; the Vert.x server requires {@link Drainable}).
     */
    private static final class MessageBytes extends ByteArrayInputStream implements Drainable, KnownLength {
        MessageBytes(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = available();
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
