package dev.p2psuite.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.gateway.HttpRange.Kind;
import org.junit.jupiter.api.Test;

class HttpRangeTest {

    @Test
    void noHeaderServesTheWholeContent() {
        assertThat(HttpRange.of(null, 1000)).isEqualTo(new HttpRange(0, 1000, Kind.WHOLE));
    }

    @Test
    void firstToLastIsInclusiveAndTruncatedAtTheEnd() {
        assertThat(HttpRange.of("bytes=0-0", 1000)).isEqualTo(new HttpRange(0, 1, Kind.PARTIAL));
        assertThat(HttpRange.of("bytes=10-19", 1000)).isEqualTo(new HttpRange(10, 10, Kind.PARTIAL));
        assertThat(HttpRange.of("bytes=990-5000", 1000)).isEqualTo(new HttpRange(990, 10, Kind.PARTIAL));
        assertThat(HttpRange.of("bytes=999-", 1000)).isEqualTo(new HttpRange(999, 1, Kind.PARTIAL));
        assertThat(HttpRange.of(" bytes = 5 - ", 1000)).isEqualTo(new HttpRange(5, 995, Kind.PARTIAL));
    }

    @Test
    void suffixIsTheLastBytesOrAllOfThem() {
        assertThat(HttpRange.of("bytes=-10", 1000)).isEqualTo(new HttpRange(990, 10, Kind.PARTIAL));
        assertThat(HttpRange.of("bytes=-5000", 1000)).isEqualTo(new HttpRange(0, 1000, Kind.PARTIAL));
    }

    @Test
    void aRangeSelectingNoByteIsUnsatisfiable() {
        assertThat(HttpRange.of("bytes=1000-", 1000).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(HttpRange.of("bytes=1000-2000", 1000).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(HttpRange.of("bytes=-0", 1000).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(HttpRange.of("bytes=0-", 0).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(HttpRange.of("bytes=-1", 0).kind()).isEqualTo(Kind.UNSATISFIABLE);
        assertThat(HttpRange.of("bytes=1000-", 1000).contentRange(1000)).isEqualTo("bytes */1000");
    }

    @Test
    void whatIsNotOneBytesRangeIsIgnored() {
        for (String header : new String[] {"bytes=0-1,5-6", "items=0-1", "bytes=", "bytes=-", "bytes=5-4",
                "bytes=a-b", "0-1", "bytes=99999999999999999999-"}) {
            assertThat(HttpRange.of(header, 1000)).as(header).isEqualTo(new HttpRange(0, 1000, Kind.WHOLE));
        }
    }

    @Test
    void contentRangeNamesFirstAndLastByte() {
        assertThat(HttpRange.of("bytes=10-19", 1000).contentRange(1000)).isEqualTo("bytes 10-19/1000");
    }
}
