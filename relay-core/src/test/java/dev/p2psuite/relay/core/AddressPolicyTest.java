package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AddressPolicyTest {

    private static final AddressPolicy STRICT = new AddressPolicy(false);
    private static final AddressPolicy OPEN = new AddressPolicy(true);

    private static InetAddress ip(String literal) {
        return IpLiterals.parse(literal).orElseThrow(() -> new AssertionError("not a literal: " + literal));
    }

    /** Every IPv4 range at both of its edges, and the addresses just outside them. */
    @Test
    void everyIpv4RangeIsClassifiedAtItsBoundaries() {
        Map<String, AddressRange> cases = new LinkedHashMap<>();
        cases.put("0.0.0.0", AddressRange.UNSPECIFIED);
        cases.put("0.0.0.1", AddressRange.RESERVED);
        cases.put("0.255.255.255", AddressRange.RESERVED);
        cases.put("1.0.0.0", AddressRange.PUBLIC);
        cases.put("9.255.255.255", AddressRange.PUBLIC);
        cases.put("10.0.0.0", AddressRange.PRIVATE);
        cases.put("10.255.255.255", AddressRange.PRIVATE);
        cases.put("11.0.0.0", AddressRange.PUBLIC);
        cases.put("100.63.255.255", AddressRange.PUBLIC);
        cases.put("100.64.0.0", AddressRange.SHARED_CGNAT);
        cases.put("100.127.255.255", AddressRange.SHARED_CGNAT);
        cases.put("100.128.0.0", AddressRange.PUBLIC);
        cases.put("126.255.255.255", AddressRange.PUBLIC);
        cases.put("127.0.0.0", AddressRange.LOOPBACK);
        cases.put("127.0.0.1", AddressRange.LOOPBACK);
        cases.put("127.255.255.255", AddressRange.LOOPBACK);
        cases.put("128.0.0.0", AddressRange.PUBLIC);
        cases.put("169.253.255.255", AddressRange.PUBLIC);
        cases.put("169.254.0.0", AddressRange.LINK_LOCAL);
        cases.put("169.254.255.255", AddressRange.LINK_LOCAL);
        cases.put("169.255.0.0", AddressRange.PUBLIC);
        cases.put("172.15.255.255", AddressRange.PUBLIC);
        cases.put("172.16.0.0", AddressRange.PRIVATE);
        cases.put("172.31.255.255", AddressRange.PRIVATE);
        cases.put("172.32.0.0", AddressRange.PUBLIC);
        cases.put("192.167.255.255", AddressRange.PUBLIC);
        cases.put("192.168.0.0", AddressRange.PRIVATE);
        cases.put("192.168.255.255", AddressRange.PRIVATE);
        cases.put("192.169.0.0", AddressRange.PUBLIC);
        cases.put("198.18.0.2", AddressRange.PUBLIC); // benchmarking range, the "public" side of the NAT tests
        cases.put("203.0.113.7", AddressRange.PUBLIC);
        cases.put("223.255.255.255", AddressRange.PUBLIC);
        cases.put("224.0.0.0", AddressRange.MULTICAST);
        cases.put("239.255.255.255", AddressRange.MULTICAST);
        cases.put("240.0.0.0", AddressRange.RESERVED);
        cases.put("255.255.255.255", AddressRange.RESERVED);
        cases.forEach((literal, range) -> assertThat(AddressPolicy.classify(ip(literal))).as(literal).isEqualTo(range));
    }

    @Test
    void everyIpv6RangeIsClassifiedAtItsBoundaries() {
        Map<String, AddressRange> cases = new LinkedHashMap<>();
        cases.put("::", AddressRange.UNSPECIFIED);
        cases.put("::1", AddressRange.LOOPBACK);
        cases.put("2001:db8::1", AddressRange.PUBLIC);
        cases.put("2606:4700:4700::1111", AddressRange.PUBLIC);
        cases.put("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressRange.PUBLIC);
        cases.put("fc00::", AddressRange.UNIQUE_LOCAL);
        cases.put("fd12:3456:789a::1", AddressRange.UNIQUE_LOCAL);
        cases.put("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressRange.UNIQUE_LOCAL);
        cases.put("fe00::", AddressRange.PUBLIC);
        cases.put("fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressRange.PUBLIC);
        cases.put("fe80::", AddressRange.LINK_LOCAL);
        cases.put("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressRange.LINK_LOCAL);
        cases.put("fec0::", AddressRange.PRIVATE);      // deprecated site-local
        cases.put("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressRange.PRIVATE);
        cases.put("ff00::", AddressRange.MULTICAST);
        cases.put("ff02::1", AddressRange.MULTICAST);
        cases.put("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressRange.MULTICAST);
        cases.forEach((literal, range) -> assertThat(AddressPolicy.classify(ip(literal))).as(literal).isEqualTo(range));
    }

    /** ::ffff:a.b.c.d, ::a.b.c.d and 64:ff9b::a.b.c.d reach the IPv4 address they carry, so they are judged by it. */
    @Test
    void ipv6FormsCarryingAnIpv4AddressAreJudgedByThatAddress() throws Exception {
        Map<String, AddressRange> v4 = new LinkedHashMap<>();
        v4.put("0.0.0.0", AddressRange.UNSPECIFIED);
        v4.put("127.0.0.1", AddressRange.LOOPBACK);
        v4.put("10.1.2.3", AddressRange.PRIVATE);
        v4.put("172.16.0.1", AddressRange.PRIVATE);
        v4.put("192.168.1.1", AddressRange.PRIVATE);
        v4.put("169.254.169.254", AddressRange.LINK_LOCAL);
        v4.put("100.64.0.1", AddressRange.SHARED_CGNAT);
        v4.put("224.0.0.1", AddressRange.MULTICAST);
        v4.put("255.255.255.255", AddressRange.RESERVED);
        v4.put("8.8.8.8", AddressRange.PUBLIC);
        for (Map.Entry<String, AddressRange> e : v4.entrySet()) {
            byte[] raw = ip(e.getKey()).getAddress();
            // As a literal (java.net turns mapped literals into Inet4Address) ...
            assertThat(AddressPolicy.classify(ip("::ffff:" + e.getKey()))).as("::ffff:" + e.getKey())
                    .isEqualTo(e.getValue());
            assertThat(AddressPolicy.classify(ip("64:ff9b::" + e.getKey()))).as("64:ff9b::" + e.getKey())
                    .isEqualTo(e.getValue());
            // ... and as a real Inet6Address, which Inet6Address.getByAddress keeps.
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(raw, 0, mapped, 12, 4);
            InetAddress inet6 = Inet6Address.getByAddress(null, mapped, -1);
            assertThat(inet6).isInstanceOf(Inet6Address.class);
            assertThat(AddressPolicy.classify(inet6)).as("Inet6Address ::ffff:" + e.getKey()).isEqualTo(e.getValue());
            assertThat(STRICT.check(inet6).allowed()).isEqualTo(e.getValue() == AddressRange.PUBLIC);
        }
        assertThat(AddressPolicy.classify(ip("::127.0.0.1"))).isEqualTo(AddressRange.LOOPBACK);
        assertThat(AddressPolicy.classify(ip("::10.0.0.1"))).isEqualTo(AddressRange.PRIVATE);
        assertThat(AddressPolicy.classify(ip("::8.8.8.8"))).isEqualTo(AddressRange.PUBLIC);
    }

    @Test
    void byDefaultOnlyPublicAddressesMayBeDialledAndTheRefusalSaysWhyAndHowToChangeIt() {
        assertThat(STRICT.check(ip("203.0.113.7")).allowed()).isTrue();
        assertThat(STRICT.check(ip("2001:db8::1")).allowed()).isTrue();
        for (String blocked : new String[] {"127.0.0.1", "10.0.0.1", "172.20.0.1", "192.168.0.10", "169.254.1.1",
                "100.100.100.100", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"}) {
            AddressPolicy.Decision d = STRICT.check(ip(blocked));
            assertThat(d.allowed()).as(blocked).isFalse();
            assertThat(d.reason()).as(blocked).contains("p2p.relay.allow-private-targets");
        }
    }

    @Test
    void allowingPrivateTargetsOpensLocalRangesButNeverUnspecifiedMulticastOrReserved() {
        for (String local : new String[] {"127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.1.1",
                "100.64.0.1", "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1"}) {
            assertThat(OPEN.check(ip(local)).allowed()).as(local).isTrue();
        }
        for (String never : new String[] {"0.0.0.0", "::", "::ffff:0.0.0.0", "224.0.0.1", "ff02::1", "240.0.0.1",
                "255.255.255.255", "0.1.2.3"}) {
            AddressPolicy.Decision d = OPEN.check(ip(never));
            assertThat(d.allowed()).as(never).isFalse();
            assertThat(d.reason()).as(never).contains("never dialled");
        }
    }

    @Test
    void onlyStrictLiteralsParseAndNamesAreNeverLookedUp() {
        assertThat(IpLiterals.parse("192.0.2.1")).isPresent();
        assertThat(IpLiterals.parse("[2001:db8::1]")).isPresent();
        assertThat(IpLiterals.parse("::ffff:10.0.0.1")).isPresent();
        for (String notLiteral : new String[] {"localhost", "example.org", "127.1", "0x7f.0.0.1", "010.0.0.1",
                "1.2.3.4.5", "256.0.0.1", "1.2.3", "", "fe80::1%eth0", "::g", "1.2.3.-4", " 1.2.3.4"}) {
            assertThat(IpLiterals.parse(notLiteral)).as("'" + notLiteral + "'").isEmpty();
        }
    }

    @Test
    void perIpQuotaCountsIpv4AddressesAndIpv6Slash64s() {
        assertThat(SourceKey.of(ip("203.0.113.7"))).isEqualTo(new SourceKey("203.0.113.7"));
        assertThat(SourceKey.of(ip("::ffff:203.0.113.7"))).isEqualTo(new SourceKey("203.0.113.7"));
        assertThat(SourceKey.of(ip("2001:db8:1:2::1"))).isEqualTo(SourceKey.of(ip("2001:db8:1:2:ffff::9")));
        assertThat(SourceKey.of(ip("2001:db8:1:2::1"))).isNotEqualTo(SourceKey.of(ip("2001:db8:1:3::1")));
        assertThat(SourceKey.of(ip("2001:db8:1:2::1")).value()).isEqualTo("2001:db8:1:2::/64");
    }
}
