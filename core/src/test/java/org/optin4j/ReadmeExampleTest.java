package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ReadmeExampleTest {

  @Test
  void readmeExampleRunsAFullDoubleOptIn() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    GreenMail greenMail =
        new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    try {
      boolean ok =
          ReadmeExample.run(
              port,
              Fixtures.PEPPER,
              email -> {
                assertTrue(greenMail.waitForIncomingEmail(10_000, 1));
                String body =
                    GreenMailUtil.getBody(greenMail.getReceivedMessages()[0])
                        .replace("=\r\n", "")
                        .replace("=3D", "=");
                return Fixtures.token(body, "confirm");
              });
      assertTrue(ok);
    } finally {
      greenMail.stop();
    }
  }

  @Test
  void readmeShowsTheExampleVerbatim() throws Exception {
    String source = Files.readString(Path.of("src/test/java/org/optin4j/ReadmeExample.java"));
    String example =
        source.substring(
            source.indexOf("// README:BEGIN") + 16, source.indexOf("    // README:END"));
    String readme = Files.readString(Path.of("../README.md"));
    String normalized = example.stripTrailing().stripIndent().strip();
    assertTrue(
        readme.contains(normalized),
        "README.md must contain the example from ReadmeExample.java verbatim");
    assertEquals(-1, normalized.indexOf('\t'));
  }
}
