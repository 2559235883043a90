package dev.p2psuite.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;

class ByteStringsTest {

    @Test
    void aFlatStringGivesItsOwnArrayAndAnyOtherShapeACopy() {
        byte[] whole = {1, 2, 3, 4};
        assertThat(ByteStrings.exactArray(UnsafeByteOperations.unsafeWrap(whole))).isSameAs(whole);
        ByteString part = UnsafeByteOperations.unsafeWrap(whole, 1, 2);
        assertThat(ByteStrings.exactArray(part)).containsExactly(2, 3).isNotSameAs(whole);
        ByteString rope = ByteString.copyFrom(new byte[300]).concat(ByteString.copyFrom(new byte[300]));
        assertThat(ByteStrings.exactArray(rope)).hasSize(600);
        assertThat(ByteStrings.exactArray(ByteString.EMPTY)).isEmpty();
    }
}
