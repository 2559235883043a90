package dev.p2psuite.grpc;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * The bytes of a {@link ByteString} as one exact array without copying them when that is safe: a bytes field that
 * protobuf parsed (without aliasing) owns a fresh array of exactly its length, which {@link ByteString#toByteArray()}
 * would copy once more for nothing (a 256 KiB copy per piece, seen in JFR allocation profiles of the piece path).
 */
public final class ByteStrings {

    private ByteStrings() {
    }

    /**
     * The array behind {@code s} if it is exactly the string's bytes, else a copy. The caller must treat the result
     * as immutable (it may be shared with {@code s}, whose bytes never change).
     */
    public static byte[] exactArray(ByteString s) {
        if (s.isEmpty()) {
            return new byte[0];
        }
        Whole whole = new Whole();
        try {
            UnsafeByteOperations.unsafeWriteTo(s, whole);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return whole.array != null ? whole.array : s.toByteArray();
    }

    /** Receives a flat string's backing array in one {@code writeLazy} call; anything else means "copy". */
    private static final class Whole extends ByteOutput {
        byte[] array;
        boolean other;

        @Override
        public void write(byte value) {
            other = true;
            array = null;
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            other = true;
            array = null;
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            if (!other && array == null && offset == 0 && length == value.length) {
                array = value;
            } else {
                other = true;
                array = null;
            }
        }

        @Override
        public void write(ByteBuffer value) {
            other = true;
            array = null;
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            other = true;
            array = null;
        }
    }
}
