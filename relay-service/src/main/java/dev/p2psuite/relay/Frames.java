package dev.p2psuite.relay;

import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.util.Arrays;

/**
 * Connect frames as raw protobuf bytes. A data frame is the same bytes in both messages except for its field tag:
 * {@code ConnectRequest.data} is field 3 and {@code ConnectResponse.data} field 2, both length-delimited, so
 * {@code 1A <varint n> <n bytes>} becomes {@code 12 <varint n> <n bytes>} by rewriting one byte. The relay thus
 * passes bulk bytes without parsing or re-encoding them (each 256 KiB frame otherwise costs two more copies);
 * frames in any other encoding are parsed and re-encoded as usual.
 */
final class Frames {

    /** Field 3, wire type 2 (length-delimited): {@code ConnectRequest.data}. */
    static final byte REQUEST_DATA_TAG = (3 << 3) | 2;
    /** Field 2, wire type 2: {@code ConnectResponse.data}. */
    static final byte RESPONSE_DATA_TAG = (2 << 3) | 2;

    /** A data frame ready to go out as a ConnectResponse; the payload is {@code bytes[offset, offset+length)}. */
    record Data(byte[] bytes, int offset, int length) {
    }

    private Frames() {
    }

    /**
     * If {@code frame} is exactly one {@code ConnectRequest.data} field of 1..{@code maxLength} bytes, turns it in
     * place into the equal {@code ConnectResponse.data} frame and returns it; otherwise null, leaving the frame
     * untouched (parse it instead).
     */
    static Data requestToResponse(byte[] frame, int maxLength) {
        if (frame.length < 2 || frame[0] != REQUEST_DATA_TAG) {
            return null;
        }
        int length = 0;
        int i = 1;
        for (int shift = 0; ; shift += 7) {
            if (i >= frame.length || shift > 28) {
                return null;
            }
            byte b = frame[i++];
            length |= (b & 0x7f) << shift;
            if (b >= 0) {
                break;
            }
        }
        if (length < 1 || length > maxLength || i + length != frame.length) {
            return null;
        }
        frame[0] = RESPONSE_DATA_TAG;
        return new Data(frame, i, length);
    }

    /** A {@code ConnectResponse.data} frame carrying {@code payload[offset, offset+length)}. */
    static Data responseData(byte[] payload, int offset, int length) {
        Data frame = responseFrame(length);
        System.arraycopy(payload, offset, frame.bytes(), frame.offset(), length);
        return frame;
    }

    /** A {@code ConnectResponse.data} frame of {@code length} payload bytes, to be filled in at its offset. */
    static Data responseFrame(int length) {
        int header = 1 + varintSize(length);
        byte[] frame = new byte[header + length];
        frame[0] = RESPONSE_DATA_TAG;
        int i = 1;
        int v = length;
        while ((v & ~0x7f) != 0) {
            frame[i++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        frame[i] = (byte) v;
        return new Data(frame, header, length);
    }

    private static int varintSize(int v) {
        int n = 1;
        while ((v & ~0x7f) != 0) {
            n++;
            v >>>= 7;
        }
        return n;
    }

    /** Messages as bytes, as the gateway's forwarder passes them. */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = dev.p2psuite.grpc.RawMessages.BYTES;
}
