package dev.p2psuite.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.relay.v1.ConnectAccept;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The raw-frame fast path agrees with protobuf for every size, and leaves anything else for the parser. */
class FramesTest {

    @Test
    void aDataRequestBecomesTheEqualDataResponseForEverySizeClass() throws Exception {
        SplittableRandom random = new SplittableRandom(11);
        for (int size : new int[] {1, 2, 127, 128, 129, 16_383, 16_384, 65_536, 262_144, 1_047_552}) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            byte[] request = ConnectRequest.newBuilder().setData(ByteString.copyFrom(payload)).build().toByteArray();
            Frames.Data data = Frames.requestToResponse(request, ConnectCall.MAX_DATA_BYTES);
            assertThat(data).as("size %d", size).isNotNull();
            assertThat(data.length()).isEqualTo(size);
            assertThat(ConnectResponse.parseFrom(data.bytes()).getData().toByteArray()).isEqualTo(payload);

            Frames.Data built = Frames.responseData(payload, 0, size);
            assertThat(built.bytes()).isEqualTo(
                    ConnectResponse.newBuilder().setData(ByteString.copyFrom(payload)).build().toByteArray());
        }
    }

    @Test
    void emptyOversizeOtherFramesAndExtraFieldsAreLeftUntouchedForTheParser() {
        byte[] empty = ConnectRequest.newBuilder().setData(ByteString.EMPTY).build().toByteArray();
        byte[] before = empty.clone();
        assertThat(Frames.requestToResponse(empty, 10)).isNull();
        assertThat(empty).isEqualTo(before);

        byte[] big = ConnectRequest.newBuilder().setData(ByteString.copyFrom(new byte[11])).build().toByteArray();
        assertThat(Frames.requestToResponse(big, 10)).isNull();
        assertThat(big[0]).isEqualTo(Frames.REQUEST_DATA_TAG);

        byte[] accept = ConnectRequest.newBuilder().setAccept(ConnectAccept.newBuilder()
                .setCircuitId(ByteString.copyFrom(new byte[16]))).build().toByteArray();
        assertThat(Frames.requestToResponse(accept, 10)).isNull();

        byte[] data = ConnectRequest.newBuilder().setData(ByteString.copyFromUtf8("abc")).build().toByteArray();
        byte[] withUnknownField = new byte[data.length + 2];
        System.arraycopy(data, 0, withUnknownField, 0, data.length);
        withUnknownField[data.length] = (byte) (9 << 3); // field 9, varint
        withUnknownField[data.length + 1] = 1;
        assertThat(Frames.requestToResponse(withUnknownField, 10)).isNull();
        assertThat(Frames.requestToResponse(new byte[] {Frames.REQUEST_DATA_TAG, (byte) 0x80}, 10)).isNull();
    }
}
