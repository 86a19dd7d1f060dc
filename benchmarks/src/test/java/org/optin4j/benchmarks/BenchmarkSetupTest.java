package org.optin4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.optin4j.OptIn;
import org.optin4j.internal.TokenCheck;
import org.optin4j.memory.InMemoryConsentStore;

/**
 * Smoke tests: every benchmark's setup works and its work is what it claims, on tiny sizes, so that the module does
 * not rot between measurement runs. Nothing here measures anything; the build never runs the benchmarks themselves.
 */
class BenchmarkSetupTest {

  @Test
  void tokenBenchmarkWhenEachKindThenLibraryAndNimbusIssueAndVerify() throws Exception {
    for (String kind : new String[] {"CONFIRM", "MANAGE", "UNSUBSCRIBE", "DATA_REQUEST"}) {
      TokenBenchmark b = new TokenBenchmark();
      b.kind = kind;
      b.setUp();
      assertInstanceOf(TokenCheck.Valid.class, b.library());
      assertNotNull(b.nimbus().getJWTID());
      TokenBenchmark.RawHmac raw = new TokenBenchmark.RawHmac();
      raw.setUp();
      assertTrue(b.rawHmac(raw));
    }
  }

  @Test
  void benchServerWhenStartedThenServesFloorAndFilteredVariants() throws Exception {
    try (OptIn optIn =
            Fixtures.optIn(
                    InMemoryConsentStore.create(),
                    new Fixtures.LinkSink(),
                    "http://127.0.0.1:18080/app/optin")
                .build();
        BenchServer server = new BenchServer(0, optIn, Map.of())) {
      assertEquals("hello", LoadDriver.fetch(server.url("/floor/hello")));
      assertEquals("hello", LoadDriver.fetch(server.url("/app/hello")));
      String plain = LoadDriver.fetch(server.url("/floor/page.html"));
      String replaced = LoadDriver.fetch(server.url("/app/page.html"));
      assertTrue(plain.length() > 20_000 && plain.contains(BenchServer.MARKER));
      assertFalse(replaced.contains(BenchServer.MARKER));
      assertTrue(replaced.contains("optin-csrf"));
    }
  }

  @Test
  void doiBenchWhenTinyRoundOnH2ThenBothFlowsComplete() throws Exception {
    DoiBench.main(new String[] {"h2", "1", "20", "2", String.valueOf(freePort())});
  }

  @Test
  void dispatchBenchWhenTinyBatchThenEveryMailIsSent() throws Exception {
    DispatchBench.main(new String[] {"memory", "1", "20", String.valueOf(freePort())});
  }

  @Test
  void mayMailBenchWhenSmallLoadOnH2ThenAnswersAsLoaded() throws Exception {
    MayMailBench.main(new String[] {"h2", "2000", "1", "500"});
  }

  @Test
  void purgeBenchWhenSmallLoadOnH2ThenDeletesEveryLapsedSignup() throws Exception {
    purgeBench("8");
  }

  @Test
  void purgeBenchWhenSmallLoadExpiredWithinGraceOnH2ThenExpiresEveryRequest() throws Exception {
    purgeBench("2");
  }

  /** Runs PurgeBench on H2 with 300 signups, which throws unless the purge handles every one of them. */
  private static void purgeBench(String expiredDaysAgo) throws Exception {
    System.setProperty("bench.db", "h2");
    System.setProperty("bench.warmSeconds", "1");
    System.setProperty("bench.normalSeconds", "1");
    System.setProperty("bench.expiredDaysAgo", expiredDaysAgo);
    try {
      PurgeBench.main(new String[] {"300", "60"});
    } finally {
      System.clearProperty("bench.db");
      System.clearProperty("bench.warmSeconds");
      System.clearProperty("bench.normalSeconds");
      System.clearProperty("bench.expiredDaysAgo");
    }
  }

  @Test
  void signupFloodWhenShortPhasesOnH2ThenEveryClaimHolds() throws Exception {
    // 4 s phases, 1 s between the victim's mails so that the cap of 3 is reached within a phase.
    assertEquals(java.util.List.of(), SignupFlood.run(4, 8, 3000, 50, 1, 250, freePort()));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
