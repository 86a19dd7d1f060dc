package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientAddressTest {

  @Test
  void parseWhenDottedQuadThenItsBytes() {
    assertArrayEquals(
        new byte[] {(byte) 192, 0, 2, (byte) 255}, ClientAddress.parse("192.0.2.255"));
    assertArrayEquals(new byte[] {0, 0, 0, 0}, ClientAddress.parse("0.0.0.0"));
  }

  @Test
  void parseWhenIpv6LiteralThenItsBytes() {
    assertEquals(16, ClientAddress.parse("2001:db8::1").length);
    assertEquals(16, ClientAddress.parse("[2001:DB8::1]").length);
    assertEquals(
        16,
        ClientAddress.parse("dead:beef:cafe:face::1").length,
        "hex letters with colons are IPv6");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "dead.beef.cafe.face",
        "add.bad.bee.cab",
        "999.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "010.0.0.1",
        "0x7f.0.0.1",
        "192.0.2.1 ",
        "",
        "dead:beef:zz::1",
        "::ffff:dead.beef.cafe.face"
      })
  void parseWhenNotAnIpLiteralThenNull(String text) {
    assertNull(ClientAddress.parse(text));
  }

  @Test
  void rangeWhenHexLetterHostNameThenRefused() {
    assertNull(ClientAddress.Range.parse("dead.beef.cafe.face/16"));
    assertNull(ClientAddress.Range.parse("dead.beef.cafe.face"));
  }

  /**
   * Runs {@link ClientAddress#parse} in a fresh JVM whose host name resolver is a hosts file that knows
   * {@code dead.beef.cafe.face} ({@code jdk.net.hosts.file}): had the parser asked the resolver, as it did for
   * colon-free hex-letter names, it would answer that name's address.
   */
  @Test
  void parseWhenHexLetterHostNameThenNeverAsksTheResolver(@TempDir Path dir) throws Exception {
    Path hosts = dir.resolve("hosts");
    Files.writeString(
        hosts,
        "192.0.2.99 dead.beef.cafe.face\n192.0.2.98 add.bad.bee.cab\n",
        StandardCharsets.UTF_8);
    Path out = dir.resolve("out");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts,
                "-cp",
                System.getProperty("java.class.path"),
                ClientAddressProbe.class.getName(),
                "dead.beef.cafe.face",
                "add.bad.bee.cab")
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");

    assertEquals(
        List.of("dead.beef.cafe.face -> null", "add.bad.bee.cab -> null"),
        Files.readAllLines(out, StandardCharsets.UTF_8));
  }

  @Test
  void siteKeyWhenIpv6ThenItsSlash48AndNoneForIpv4() {
    assertEquals(Optional.of("v6/48:20010db80007"), ClientAddress.siteKey("2001:db8:7:1::5"));
    assertEquals(
        ClientAddress.siteKey("2001:db8:7:ffff::1"), ClientAddress.siteKey("2001:db8:7:1::5"));
    assertEquals(Optional.empty(), ClientAddress.siteKey("192.0.2.7"));
    assertEquals(Optional.empty(), ClientAddress.siteKey("dead.beef.cafe.face"));
  }

  /** The probe run by {@link #parseWhenHexLetterHostNameThenNeverAsksTheResolver}. */
  static final class ClientAddressProbe {
    private ClientAddressProbe() {}

    public static void main(String[] args) {
      for (String a : args) {
        byte[] b = ClientAddress.parse(a);
        System.out.println(a + " -> " + (b == null ? "null" : java.util.Arrays.toString(b)));
      }
    }
  }
}
