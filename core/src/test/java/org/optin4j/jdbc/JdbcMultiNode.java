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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.optin4j.feed.FeedCursor;
import org.optin4j.feed.FeedEntry;
import org.optin4j.feed.FeedPage;
import org.optin4j.internal.HistoryChain;
import org.optin4j.keys.SigningKeys;
import org.optin4j.proof.ConsentEvent;
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
  static final int FEED_CHANGES_DEFAULT = 2000;
  private static final int FEED_CHANGES =
      Integer.getInteger("optin4j.feed.changes", FEED_CHANGES_DEFAULT);
  private static final int FEED_WRITERS = 4;

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

  private JdbcConsentStore store() {
    return JdbcConsentStore.builder(database.dataSource())
        .tablePrefix(prefix)
        .createSchema(true)
        .build();
  }

  private OptIn node(RecordingMailer mailer) {
    return node(store(), mailer);
  }

  private OptIn node(JdbcConsentStore store, RecordingMailer mailer) {
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

  /**
   * The event feed's promise under load (issue 14, "Done when"): two nodes write consent changes at once, one
   * transaction with a change is held open across many others' commits, and a reader polls the feed all the while.
   * The reader must end with exactly every change, none twice, each subject's in its history's order.
   * {@value #FEED_CHANGES_DEFAULT} changes by default; {@code -Doptin4j.feed.changes=10000} runs the size.
   */
  @Test
  void twoNodesWritingWhileOneTransactionIsHeldOpenThenReaderSeesEveryChangeOnceInHistoryOrder()
      throws Exception {
    JdbcConsentStore storeA = store();
    OptIn a = node(storeA, new RecordingMailer());
    OptIn b = node(store(), new RecordingMailer());
    // Each subject: a signup (REQUESTED) on one node, then its erasure (ERASED) on the other. The
    // held subject's second change is the event of the transaction held open.
    int subjects = (FEED_CHANGES - 2) / 2;
    SubjectId held = signUp(a, "held@example.org");

    List<FeedEntry> seen = new ArrayList<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicInteger seenWhileHeld = new AtomicInteger();
    AtomicBoolean heldOpen = new AtomicBoolean(true);
    Thread reader =
        new Thread(
            () -> {
              FeedCursor cursor = FeedCursor.start();
              boolean last = false;
              while (!last) {
                last = !writing.get();
                FeedPage page;
                do {
                  page = (seen.size() % 2 == 0 ? a : b).feed().after(cursor, 100);
                  seen.addAll(page.entries());
                  if (heldOpen.get()) {
                    seenWhileHeld.set(seen.size());
                  }
                  // The cursor's string form is what a consumer keeps: read on from it.
                  cursor = FeedCursor.parse(page.next().toString());
                } while (!page.entries().isEmpty());
              }
            });
    reader.start();

    ExecutorService pool = Executors.newFixedThreadPool(FEED_WRITERS + 1);
    try {
      CountDownLatch heldAppended = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      Future<Long> heldUnit =
          pool.submit(
              () ->
                  storeA.inTransaction(
                      tx -> {
                        tx.history().lock(held);
                        ConsentEvent stored =
                            HistoryChain.append(
                                tx,
                                new ConsentEvent(
                                    0,
                                    held,
                                    NEWSLETTER,
                                    ConsentEvent.Type.EXPIRED,
                                    clock.instant(),
                                    null,
                                    null,
                                    null,
                                    Channel.SYSTEM,
                                    Evidence.NONE,
                                    null));
                        heldAppended.countDown();
                        awaitOrFail(release);
                        return stored.sequence();
                      }));
      awaitOrFail(heldAppended);
      AtomicInteger done = new AtomicInteger();
      List<Future<?>> writers = new ArrayList<>();
      for (int w = 0; w < FEED_WRITERS; w++) {
        int writer = w;
        writers.add(
            pool.submit(
                () -> {
                  for (int i = writer; i < subjects; i += FEED_WRITERS) {
                    OptIn first = i % 2 == 0 ? a : b;
                    OptIn second = first == a ? b : a;
                    SubjectId id = signUp(first, "user" + i + "@example.org");
                    assertTrue(second.rights().erase(id, Channel.OPERATOR));
                    if (done.incrementAndGet() == subjects / 2) {
                      heldOpen.set(false);
                      release.countDown();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : writers) {
        f.get(10, TimeUnit.MINUTES);
      }
      long heldSequence = heldUnit.get(1, TimeUnit.MINUTES);
      assertTrue(heldSequence > 0);
    } finally {
      writing.set(false);
      reader.join(TimeUnit.MINUTES.toMillis(2));
      pool.shutdownNow();
    }

    assertTrue(
        seenWhileHeld.get() > 2,
        "the reader read on past the held transaction while it was open, saw " + seenWhileHeld);
    assertEquals(FEED_CHANGES - FEED_CHANGES % 2, seen.size(), "every change, none twice");
    Set<Long> positions = new HashSet<>();
    Map<SubjectId, List<ConsentEvent.Type>> bySubject = new LinkedHashMap<>();
    for (FeedEntry e : seen) {
      assertTrue(positions.add(e.position()), "seen twice: " + e);
      bySubject.computeIfAbsent(e.subjectId(), k -> new ArrayList<>()).add(e.type());
    }
    assertEquals(subjects + 1, bySubject.size());
    for (Map.Entry<SubjectId, List<ConsentEvent.Type>> s : bySubject.entrySet()) {
      List<ConsentEvent.Type> history =
          storeA.read(tx -> tx.history().events(s.getKey())).stream()
              .map(ConsentEvent::type)
              .toList();
      assertEquals(history, s.getValue(), "the feed keeps the history's order");
    }
    assertEquals(
        List.of(ConsentEvent.Type.REQUESTED, ConsentEvent.Type.EXPIRED), bySubject.get(held));
  }

  private static SubjectId signUp(OptIn node, String email) {
    RequestResult r = node.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER));
    return assertInstanceOf(RequestResult.Accepted.class, r, r::toString).subjectId();
  }

  private static void awaitOrFail(CountDownLatch latch) {
    try {
      assertTrue(latch.await(5, TimeUnit.MINUTES), "latch not opened");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
