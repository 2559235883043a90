package dev.p2psuite.grpc;

import io.grpc.Detachable;
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
 * Serialized messages passed on as bytes, unparsed: what the gateway's forwarders and the relay's circuits move.
 * {@link #BYTES}: one copy in, one write out. {@link #DETACHED}: no copy in; drained into the next transport.
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

    /** Bytes moved per copy when draining a detached message: small enough to stay in the CPU's caches. */
    private static final int DRAIN_BYTES = 32 * 1024;
    private static final ThreadLocal<byte[]> DRAIN_BUFFER = ThreadLocal.withInitial(() -> new byte[DRAIN_BYTES]);
    private static final byte[] NO_PREFIX = new byte[0];

    /**
     * The marshaller of a method whose messages are passed on without being copied out of the transport: grpc-java
     * (Netty and in-process) hands a received message over as a {@link Detachable} stream over the network buffers
     * it arrived in, which is detached (no copy) and, when sent on, drained into the next transport's buffers through
     * a small reused buffer ({@link #prefixed}). Other transports' messages are copied once. Whoever ends up holding
     * a message closes it (it holds pooled network buffers): the transport after sending it, or the code that drops
     * it ({@link #closeQuietly}). Profiling the gateway, the copy into a fresh zero-filled 256 KiB {@code byte[]} per
     * piece and the young collections it caused were a fifth of its CPU while forwarding.
     */
    public static final MethodDescriptor.Marshaller<InputStream> DETACHED = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value instanceof Drainable && value instanceof KnownLength ? value : prefixed(NO_PREFIX, value);
        }

        @Override
        public InputStream parse(InputStream stream) {
            if (stream instanceof Detachable detachable) {
                return detachable.detach();
            }
            return new MessageBytes(BYTES.parse(stream));
        }
    };

    /**
     * {@code header} followed by {@code body} (a stream whose {@code available()} is its whole remaining length, as
     * {@link #DETACHED} gives), as a transport wants it: length known, drained through a small reused buffer (two
     * cache-resident copies instead of a large allocation). Closing it closes {@code body}.
     */
    public static InputStream prefixed(byte[] header, InputStream body) {
        return new Prefixed(header, body);
    }

    /** The whole length of a message stream whose length is known ({@link KnownLength}: {@code available()}). */
    public static int length(InputStream message) {
        try {
            return message.available();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes a message stream that will not be sent (releasing the network buffers a detached one holds). */
    public static void closeQuietly(InputStream message) {
        try {
            message.close();
        } catch (IOException | RuntimeException e) {
            // releasing buffers does not fail in practice; nothing to do if it did
        }
    }

    private static final class Prefixed extends InputStream implements Drainable, KnownLength {
        private final byte[] header;
        private final InputStream body;
        private int headerPos;

        Prefixed(byte[] header, InputStream body) {
            this.header = header;
            this.body = body;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int total = 0;
            if (headerPos < header.length) {
                target.write(header, headerPos, header.length - headerPos);
                total += header.length - headerPos;
                headerPos = header.length;
            }
            byte[] buffer = DRAIN_BUFFER.get();
            for (int n; (n = body.read(buffer, 0, buffer.length)) > 0; ) {
                target.write(buffer, 0, n);
                total += n;
            }
            return total;
        }

        @Override
        public int available() throws IOException {
            return header.length - headerPos + body.available();
        }

        @Override
        public int read() throws IOException {
            if (headerPos < header.length) {
                return header[headerPos++] & 0xFF;
            }
            return body.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = 0;
            while (headerPos < header.length && n < len) {
                b[off + n++] = header[headerPos++];
            }
            if (n == len) {
                return n;
            }
            int r = body.read(b, off + n, len - n);
            return r < 0 ? (n == 0 ? -1 : n) : n + r;
        }

        @Override
        public void close() {
            closeQuietly(body);
        }
    }
}
