package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfigurationException;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.NodeRegistration;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Several application nodes on one database: nothing may depend on one node's memory. Each node is an {@link OptIn}
 * with its own mailer over its own {@link JdbcConsentStore} instance on the shared database. Run on every dialect by
 * the subclasses.
 */
abstract class JdbcMultiNode {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final SigningKeys keys = SigningKeys.generate("k1");
  private final List<OptIn> nodes = new ArrayList<>();
  private TestDatabase database;
  private String prefix;

  abstract TestDatabase open() throws Exception;

  @BeforeEach
  void openDatabase() throws Exception {
    database = open();
    prefix = database.nextPrefix();
  }

  @AfterEach
  void closeAll() throws Exception {
    nodes.forEach(OptIn::close);
    database.close();
  }

  private OptIn node(RecordingMailer mailer) {
    JdbcConsentStore store =
        JdbcConsentStore.builder(database.dataSource())
            .tablePrefix(prefix)
            .createSchema(true)
            .build();
    OptIn node =
        Fixtures.builder(store, mailer, clock)
            .signingKeys(keys)
            .evidencePolicy(EvidencePolicy.FULL)
            .confirmationMailCap(3, Duration.ZERO)
            .dispatch(Duration.ofSeconds(1), 10, Duration.ofMinutes(2))
            .build();
    nodes.add(node);
    return node;
  }

  @Test
  void startWhenTwoNodesHaveDifferentBaseUrlsThenTheSecondRefusesNamingBaseUrl() {
    JdbcConsentStore store =
        JdbcConsentStore.builder(database.dataSource())
            .tablePrefix(prefix)
            .createSchema(true)
            .build();
    OptIn first =
        Fixtures.builder(store, new RecordingMailer(), clock)
            .signingKeys(keys)
            .baseUrl("https://a.bakery.example/optin")
            .build();
    nodes.add(first);
    first.start();
    OptIn second =
        Fixtures.builder(
                JdbcConsentStore.builder(database.dataSource()).tablePrefix(prefix).build(),
                new RecordingMailer(),
                clock)
            .signingKeys(keys)
            .baseUrl("https://b.bakery.example/optin")
            .build();
    nodes.add(second);

    ConfigurationException e = assertThrows(ConfigurationException.class, second::start);

    assertTrue(
        e.getMessage()
            .startsWith(
                "issuer: this node signs links with issuer"
                    + " \"https://b.bakery.example/optin\" (its baseUrl) and node "),
        e.getMessage());
    assertTrue(e.getMessage().contains("Set the same baseUrl on every node"), e.getMessage());
    assertEquals(
        List.of("https://a.bakery.example/optin"),
        store.read(tx -> tx.registers().nodes().stream().map(NodeRegistration::issuer).toList()));
  }

  private static <T> List<T> concurrently(int threads, Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch gate = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      futures.add(
          pool.submit(
              () -> {
                gate.await();
                return task.call();
              }));
    }
    gate.countDown();
    List<T> out = new ArrayList<>();
    for (Future<T> f : futures) {
      out.add(f.get(60, TimeUnit.SECONDS));
    }
    pool.shutdown();
    return out;
  }

  @Test
  void twoNodesDispatchingAtOnceSendEveryMailExactlyOnce() throws Exception {
    RecordingMailer mailA = new RecordingMailer();
    RecordingMailer mailB = new RecordingMailer();
    OptIn a = node(mailA);
    OptIn b = node(mailB);
    int n = 40;
    for (int i = 0; i < n; i++) {
      (i % 2 == 0 ? a : b)
          .request(ConsentRequest.of("user" + i + "@example.org", Locale.ENGLISH, NEWSLETTER));
    }

    concurrently(
        4,
        () -> {
          int sent = 0;
          for (int round = 0; round < 20; round++) {
            sent += (round % 2 == 0 ? a : b).operations().dispatchNow().sent();
          }
          return sent;
        });

    List<String> recipients = new ArrayList<>();
    for (MailMessage m : mailA.sent()) {
      recipients.add(m.to().value());
    }
    for (MailMessage m : mailB.sent()) {
      recipients.add(m.to().value());
    }
    assertEquals(n, recipients.size(), "no mail twice");
    assertEquals(n, new HashSet<>(recipients).size(), "every mail once");
  }

  @Test
  void confirmationsOnTwoNodesAtOnceHaveExactlyOneWinner() throws Exception {
    RecordingMailer mailer = new RecordingMailer();
    OptIn a = node(mailer);
    OptIn b = node(new RecordingMailer());
    a.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    a.operations().dispatchNow();
    String token = Fixtures.token(mailer.last().text(), "confirm");

    List<ConfirmationResult> results =
        concurrently(
            8,
            () ->
                (Thread.currentThread().getId() % 2 == 0 ? a : b)
                    .confirm(token, ConfirmationChoice.all(), Evidence.NONE));

    assertEquals(
        1,
        results.stream().filter(r -> r instanceof ConfirmationResult.Confirmed).count(),
        results::toString);
    assertTrue(
        results.stream()
            .allMatch(
                r ->
                    r instanceof ConfirmationResult.Confirmed
                        || r instanceof ConfirmationResult.AlreadyConfirmed),
        results::toString);
  }

  @Test
  void dailyCapHoldsWhenTwoNodesRequestTheSameAddressAtOnce() throws Exception {
    OptIn a = node(new RecordingMailer());
    OptIn b = node(new RecordingMailer());

    List<RequestResult> results =
        concurrently(
            10,
            () ->
                (Thread.currentThread().getId() % 2 == 0 ? a : b)
                    .request(ConsentRequest.of("victim@example.org", Locale.ENGLISH, NEWSLETTER)));

    long accepted = results.stream().filter(r -> r instanceof RequestResult.Accepted).count();
    assertTrue(
        accepted <= 3, "at most 3 confirmation mails a day, was " + accepted + ": " + results);
    SubjectId id = a.findSubject("victim@example.org").orElseThrow().id();
    assertEquals(accepted, a.operations().mails(id).size());
    assertTrue(
        results.stream()
            .allMatch(
                r -> r instanceof RequestResult.Accepted || r instanceof RequestResult.Throttled),
        results::toString);
  }

  @Test
  void erasureLeavesNoPlaintextAddressAnywhereInTheDatabase() throws Exception {
    RecordingMailer mailer = new RecordingMailer();
    OptIn a = node(mailer);
    String address = "ann.erasure-probe@example.org";
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            a.request(
                ConsentRequest.of(address, Locale.ENGLISH, NEWSLETTER, EVENTS)
                    .withEvidence(Evidence.of("203.0.113.7", "Firefox ann.erasure-probe"))
                    .withSource("https://bakery.example/signup?email=" + address)));
    a.operations().dispatchNow();
    a.confirm(
        Fixtures.token(mailer.last().text(), "confirm"),
        ConfirmationChoice.all(),
        Evidence.of("203.0.113.8", "Safari"));
    a.rights().requestDataExport(r.subjectId());
    a.operations().dispatchNow();
    clock.advance(Duration.ofMinutes(5));
    a.rights()
        .requestAddressChange(
            r.subjectId(), "ann.erasure-probe.new@example.org", Locale.ENGLISH, Evidence.NONE);
    assertTrue(
        countOccurrences("ann.erasure-probe") > 0, "the probe finds the address before erasure");

    assertTrue(a.rights().erase(r.subjectId(), Channel.PREFERENCE_CENTER));

    assertEquals(
        0,
        countOccurrences("ann.erasure-probe"),
        "no plaintext address, evidence or source survives");
    assertEquals(0, countOccurrences("203.0.113."), "no IP evidence survives");
    assertTrue(a.rights().isSuppressed(address));
    assertFalse(a.proof().history(r.subjectId()).isEmpty(), "the de-identified stub stays");
  }

  @Test
  void purgeOnTwoNodesAtOnceHandlesEveryItemOnceAndDeletesLapsedSignups() throws Exception {
    OptIn a = node(new RecordingMailer());
    OptIn b = node(new RecordingMailer());
    int n = 30;
    for (int i = 0; i < n; i++) {
      a.request(ConsentRequest.of("lapsed" + i + "@example.org", Locale.ENGLISH, NEWSLETTER));
    }
    clock.advance(Duration.ofHours(49));

    List<org.optin4j.operations.PurgeReport> first =
        concurrently(
            2, () -> (Thread.currentThread().getId() % 2 == 0 ? a : b).operations().purge());
    assertEquals(
        n, first.stream().mapToInt(org.optin4j.operations.PurgeReport::expiredRequests).sum());

    clock.advance(Duration.ofDays(8));
    List<org.optin4j.operations.PurgeReport> second =
        concurrently(
            2, () -> (Thread.currentThread().getId() % 2 == 0 ? a : b).operations().purge());
    assertEquals(
        n, second.stream().mapToInt(org.optin4j.operations.PurgeReport::purgedSubjects).sum());
    assertEquals(0, countOccurrences("lapsed"), "lapsed signups leave nothing behind");
  }

  @Test
  void purgeOnTwoNodesAtOnceWhenSignupsLapsedBeyondTheGraceThenDeletesEachOnce() throws Exception {
    OptIn a = node(new RecordingMailer());
    OptIn b = node(new RecordingMailer());
    int n = 30;
    for (int i = 0; i < n; i++) {
      a.request(ConsentRequest.of("gone" + i + "@example.org", Locale.ENGLISH, NEWSLETTER));
    }
    a.operations().dispatchNow();
    clock.advance(Duration.ofDays(10)); // links ran out 8 days ago: past the 7-day grace

    List<org.optin4j.operations.PurgeReport> reports =
        concurrently(
            2, () -> (Thread.currentThread().getId() % 2 == 0 ? a : b).operations().purge());

    int deleted =
        reports.stream().mapToInt(org.optin4j.operations.PurgeReport::purgedSubjects).sum();
    int marked =
        reports.stream().mapToInt(org.optin4j.operations.PurgeReport::expiredRequests).sum();
    // Each signup is handled once. Usually all are deleted at once; a signup that one node's
    // deletion skipped
    // because the other node held it (MariaDB, rarely) may be marked expired instead, and goes a
    // grace period later.
    assertEquals(n, deleted + marked, "deleted " + deleted + ", marked " + marked);
    assertTrue(deleted >= n / 2, "most are deleted at once: " + deleted);
    clock.advance(Duration.ofDays(8));
    List<org.optin4j.operations.PurgeReport> later =
        concurrently(
            2, () -> (Thread.currentThread().getId() % 2 == 0 ? a : b).operations().purge());
    assertEquals(
        marked, later.stream().mapToInt(org.optin4j.operations.PurgeReport::purgedSubjects).sum());
    assertEquals(0, countOccurrences("gone"), "lapsed signups leave nothing behind");
  }

  /** Reads every column of every row of every table of this store and counts cells containing the text. */
  private int countOccurrences(String needle) throws Exception {
    int found = 0;
    try (Connection c = database.dataSource().getConnection()) {
      DatabaseMetaData meta = c.getMetaData();
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          meta.getTables(c.getCatalog(), c.getSchema(), "%", new String[] {"TABLE"})) {
        while (rs.next()) {
          String name = rs.getString("TABLE_NAME");
          if (name.toLowerCase(Locale.ROOT).startsWith(prefix)) {
            tables.add(name);
          }
        }
      }
      assertTrue(tables.size() >= 8, "found the store's tables: " + tables);
      for (String table : tables) {
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= columns; i++) {
              Object v = rs.getObject(i);
              String text =
                  v instanceof byte[] bytes
                      ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                      : String.valueOf(v);
              if (text.toLowerCase(Locale.ROOT).contains(needle)) {
                found++;
              }
            }
          }
        }
      }
    }
    return found;
  }
}
