package dev.p2psuite.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentStart;
import dev.p2psuite.proto.storage.v1.ReadContentResponse;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The wire facts the gateway relies on to move content bytes unparsed. */
class RawContentMethodsTest {

    @Test
    void aReadChunkWrappedRawIsTheGetContentChunkItWouldHaveBeenReEncodedAs() throws Exception {
        for (int size : new int[] {1, 127, 128, 16_383, 16_384, 262_144}) {
            byte[] data = new byte[size];
            new SplittableRandom(size).nextBytes(data);
            byte[] read = ReadContentResponse.newBuilder().setOffset(5L * size).setData(ByteString.copyFrom(data))
                    .build().toByteArray();
            InputStream raw = RawContentMethods.GET_RESPONSES.stream(new RawContentMethods.RawChunk(read));
            ByteArrayOutputStream drained = new ByteArrayOutputStream();
            ((io.grpc.Drainable) raw).drainTo(drained);
            GetContentResponse parsed = GetContentResponse.parseFrom(drained.toByteArray());
            assertThat(parsed.hasChunk()).isTrue();
            assertThat(parsed.getChunk().getOffset()).isEqualTo(5L * size);
            assertThat(parsed.getChunk().getData().toByteArray()).isEqualTo(data);
            // Read byte by byte too (a transport that does not drain).
            InputStream again = RawContentMethods.GET_RESPONSES.stream(new RawContentMethods.RawChunk(read));
            assertThat(GetContentResponse.parseFrom(again.readAllBytes())).isEqualTo(parsed);
        }
    }

    @Test
    void clientPutMessagesAreStoragePutMessagesByteForByte() throws Exception {
        PutContentRequest start = PutContentRequest.newBuilder().setStart(PutContentStart.newBuilder()
                .setMetadata(ContentMetadata.newBuilder().setName("a.bin").setMediaType("x/y").addTags("t"))
                .setExpectedSizeBytes(1234)).build();
        var storageStart = dev.p2psuite.proto.storage.v1.PutContentRequest.parseFrom(start.toByteArray());
        assertThat(storageStart.getStart().getMetadata().getName()).isEqualTo("a.bin");
        assertThat(storageStart.getStart().getExpectedSizeBytes()).isEqualTo(1234);
        assertThat(storageStart.getUnknownFields().asMap()).isEmpty();
        PutContentRequest chunk = PutContentRequest.newBuilder().setChunk(ByteString.copyFromUtf8("bytes")).build();
        var storageChunk = dev.p2psuite.proto.storage.v1.PutContentRequest.parseFrom(chunk.toByteArray());
        assertThat(storageChunk.getChunk().toStringUtf8()).isEqualTo("bytes");
        assertThat(storageChunk.getUnknownFields().asMap()).isEmpty();
    }
}
