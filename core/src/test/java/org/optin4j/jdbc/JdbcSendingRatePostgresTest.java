package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.OptIn;
import org.optin4j.SubjectId;
import org.optin4j.mail.SendingRate;
import org.optin4j.spi.OutboxMail;
import org.optin4j.testing.store.StoreFixtures;

/**
 * Issue 15's done-when for sending rates: two nodes (two {@link OptIn} instances, four SMTP connections each) dispatch
 * one campaign from one PostgreSQL store to GreenMail at a shared rate of {@value #RATE} mails a second for 60
 * seconds. Over those 60 seconds the delivered count is within 10 % of rate x 60; the send slots the store handed
 * out hold at most {@value #RATE} in any second and at most the minute cap in any 60 seconds; no mail goes twice. The
 * one 60-second test of the build; the rules themselves are pinned with fixed instants in {@code
 * SendRateStoreContract}.
 */
class JdbcSendingRatePostgresTest {
  // 10 a second keeps the test about the rate, not about whether a loaded CI machine (every mail's
  // outcome opens a fresh PostgreSQL connection here, no pool) can keep up with it.
  private static final int RATE = 10;
  private static final int PER_MINUTE = RATE * 60;
  private static final int RECIPIENTS =
      1500; // more than 60 s worth, so the rate, not the list, ends the minute
  private static final Duration RUN = Duration.ofSeconds(60);

  /** One secret for both nodes, as the node register requires. */
  private static final org.optin4j.keys.SigningKeys KEYS =
      org.optin4j.keys.SigningKeys.generate("k1");

  private TestDatabase database;
  private GreenMail greenMail;

  @BeforeEach
  void setUp() throws Exception {
    database = new TestDatabase.Postgres();
    greenMail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
    greenMail.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    greenMail.stop();
    database.close();
  }

  @Test
  void campaignOnTwoNodesWhenRateSetThenSixtySecondsDeliverRateTimesSixtyWithinTenPercent()
      throws Exception {
    String prefix = database.nextPrefix();
    JdbcConsentStore store =
        JdbcConsentStore.builder(database.dataSource())
            .tablePrefix(prefix)
            .createSchema(true)
            .build();
    List<SubjectId> ids = confirmedSubscribers(store);
    SendingRate rate = SendingRate.perSecond(RATE).withPerMinute(PER_MINUTE);
    int port = greenMail.getSmtp().getPort();
    try (OptIn queueing = node(store, port, rate)) { // not started: it only queues
      assertEquals(
          RECIPIENTS,
          queueing
              .campaigns()
              .sendToAllConfirmed(NEWSLETTER, "Issue 15", "Sending rates.", null)
              .queued());
    }

    Instant start;
    try (OptIn a = node(builderOn(prefix), port, rate);
        OptIn b = node(builderOn(prefix), port, rate)) {
      start = Instant.now();
      a.start();
      b.start();
      Thread.sleep(RUN.toMillis() + 5_000);
    }

    List<Instant> sentAt = new ArrayList<>();
    store.read(
        tx -> {
          for (SubjectId id : ids) {
            for (OutboxMail m : tx.outbox().mails(id)) {
              if (m.status() == OutboxMail.Status.SENT) {
                sentAt.add(m.sentAt());
              }
            }
          }
          return null;
        });
    sentAt.sort(null);
    Map<Long, Integer> perSecond = new TreeMap<>();
    sentAt.forEach(
        t -> perSecond.merge(t.getEpochSecond() - start.getEpochSecond(), 1, Integer::sum));
    System.out.println("sent per second since start: " + perSecond);
    Instant first = sentAt.get(0);
    long inMinute = sentAt.stream().filter(t -> t.isBefore(first.plus(RUN))).count();
    System.out.println(
        "sending rate "
            + RATE
            + "/s on two nodes: "
            + inMinute
            + " sent in the first 60 s (first after "
            + Duration.between(start, first).toMillis()
            + " ms), "
            + sentAt.size()
            + " in all");
    assertTrue(
        Math.abs(inMinute - RATE * 60L) <= RATE * 6L,
        "within 10 % of " + RATE * 60 + " in 60 s: " + inMinute);

    Map<Long, Integer> slots = slotsPerSecond(prefix);
    slots.forEach(
        (second, n) -> assertTrue(n <= RATE, "second " + second + " got " + n + " send slots"));
    for (long s : slots.keySet()) {
      int window =
          slots.entrySet().stream()
              .filter(e -> e.getKey() > s - 60 && e.getKey() <= s)
              .mapToInt(Map.Entry::getValue)
              .sum();
      assertTrue(window <= PER_MINUTE, "60 s ending at " + s + " got " + window + " slots");
    }
    // Delivery times (recorded when the server answered, then committed) add the network's and the
    // scheduler's
    // jitter to the slots, which bunches single seconds; over 10 seconds it evens out.
    Map<Long, Integer> delivered = new TreeMap<>();
    sentAt.forEach(t -> delivered.merge(t.getEpochSecond(), 1, Integer::sum));
    for (long s : delivered.keySet()) {
      int tenSeconds =
          delivered.entrySet().stream()
              .filter(e -> e.getKey() > s - 10 && e.getKey() <= s)
              .mapToInt(Map.Entry::getValue)
              .sum();
      assertTrue(
          tenSeconds <= RATE * 10 * 11 / 10, "10 s ending at " + s + " delivered " + tenSeconds);
    }

    Set<String> recipients = new HashSet<>();
    for (MimeMessage m : greenMail.getReceivedMessages()) {
      String to = ((InternetAddress) m.getRecipients(MimeMessage.RecipientType.TO)[0]).getAddress();
      assertTrue(recipients.add(to), "mailed twice: " + to);
    }
    assertEquals(sentAt.size(), recipients.size(), "every mail recorded sent was delivered once");
  }

  private JdbcConsentStore builderOn(String prefix) {
    return JdbcConsentStore.builder(database.dataSource()).tablePrefix(prefix).build();
  }

  private static OptIn node(JdbcConsentStore store, int port, SendingRate rate) {
    return OptIn.builder()
        .catalog(org.optin4j.Fixtures.catalog())
        .controller(org.optin4j.Fixtures.controller())
        .store(store)
        .mailer(
            org.optin4j.mail.SmtpMailer.builder()
                .host("127.0.0.1")
                .port(port)
                .security(org.optin4j.mail.SmtpMailer.Security.NONE)
                .from("no-reply@bakery.example")
                .build())
        .signingKeys(KEYS)
        .suppressionPepper(org.optin4j.Fixtures.PEPPER)
        .baseUrl(org.optin4j.Fixtures.BASE_URL)
        .clock(java.time.Clock.systemUTC())
        .dispatch(Duration.ofMillis(200), 50, Duration.ofSeconds(30))
        .sendingRate(rate)
        .build();
  }

  /** Confirmed newsletter subscribers written straight through the store, in a few transactions. */
  private static List<SubjectId> confirmedSubscribers(JdbcConsentStore store) {
    List<SubjectId> ids = new ArrayList<>();
    for (int from = 0; from < RECIPIENTS; from += 500) {
      int first = from;
      store.inTransaction(
          tx -> {
            for (int i = first; i < Math.min(RECIPIENTS, first + 500); i++) {
              String name = "r" + i;
              SubjectId id = StoreFixtures.subjectId(name);
              tx.subjects().insertSubject(StoreFixtures.subject(name));
              tx.requests()
                  .insertRequest(StoreFixtures.openRequest("req-" + i, id, StoreFixtures.T0));
              tx.subjects()
                  .saveConsent(
                      StoreFixtures.pendingConsent(id, NEWSLETTER, "req-" + i, StoreFixtures.T0)
                          .confirm(StoreFixtures.T0.plusSeconds(1)));
              ids.add(id);
            }
            return null;
          });
    }
    return ids;
  }

  /** The send slots the store counted per epoch second. */
  private Map<Long, Integer> slotsPerSecond(String prefix) throws Exception {
    Map<Long, Integer> slots = new TreeMap<>();
    try (Connection c = database.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT epoch_second, slots FROM " + prefix + "send_slots")) {
      while (rs.next()) {
        slots.put(rs.getLong(1), rs.getInt(2));
      }
    }
    assertTrue(!slots.isEmpty(), "the minute cap made the store count slots");
    return slots;
  }
}
