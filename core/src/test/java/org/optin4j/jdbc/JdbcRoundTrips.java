package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationPreview;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The statements a signup, a confirmation page and a confirmation send to the database. Each one is a round trip to
 * the server; on PostgreSQL they, not the work inside the database, set the throughput of the signup path
 * (BENCHMARKS.md). These counts are exact, so a change that adds a statement to a hot path fails here and has to say
 * why it needs it.
 */
abstract class JdbcRoundTrips {
  /**
   * A new address's signup for two purposes: isolation check; find subject with the suppression check (one read,
   * Transaction.subjectByEmailWithSuppression), today's confirmation mails; insert subject; the events in one batch, the consents in another; request; outbox row; the new history
   * head once at the end; then the feed: claim the positions and insert the entries, last.
   */
  private static final List<String> TWO_PURPOSE_SIGNUP =
      List.of(
          "ISOLATION",
          "SELECT",
          "SELECT",
          "INSERT",
          "BATCH INSERT",
          "BATCH UPSERT",
          "INSERT",
          "INSERT",
          "INSERT",
          "CLAIM",
          "INSERT",
          "COMMIT");

  private final TestDatabase database;
  private final List<String> statements = new ArrayList<>();
  private final TestClock clock = TestClock.at(Instant.parse("2026-03-01T10:00:00Z"));
  private final RecordingMailer mailer = new RecordingMailer();
  private OptIn optIn;

  JdbcRoundTrips(TestDatabase database) {
    this.database = database;
  }

  @BeforeEach
  void start() {
    JdbcConsentStore store =
        JdbcConsentStore.builder(counting(database.dataSource()))
            .tablePrefix(database.nextPrefix())
            .createSchema(true)
            .build();
    optIn = Fixtures.builder(store, mailer, clock).build();
    // The first signups store the notices (of two purposes, of one); later signups of the same
    // purposes and language only refer to them.
    signUp("first@example.com", Fixtures.NEWSLETTER, Fixtures.EVENTS);
    signUp("second@example.com", Fixtures.NEWSLETTER);
    statements.clear();
  }

  @AfterEach
  void stop() throws Exception {
    optIn.close();
    database.close();
  }

  @Test
  void signupOfNewAddressWithOnePurposeThenOneTransaction() {
    signUp("ann@example.com", Fixtures.NEWSLETTER);

    // isolation check; find subject with the suppression check (one read), today's confirmation
    // mails, insert subject,
    // the event, the consent, request, outbox row, the new history head once at the end, then the
    // feed: claim the positions and insert the entries, last, so that the counter row is locked
    // only
    // until the commit
    assertSteps(
        List.of(
            "ISOLATION",
            "SELECT",
            "SELECT",
            "INSERT",
            "INSERT",
            "UPSERT",
            "INSERT",
            "INSERT",
            "INSERT",
            "CLAIM",
            "INSERT",
            "COMMIT"));
  }

  @Test
  void signupOfNewAddressWithTwoPurposesThenOneTransaction() {
    signUp("ann@example.com", Fixtures.NEWSLETTER, Fixtures.EVENTS);

    // as with one purpose, but the events in one batch and the consents in another: two round
    // trips whatever the number of purposes
    assertSteps(TWO_PURPOSE_SIGNUP);
  }

  @Test
  void signupWithTheNoticeTheFormShowedThenNoNoticeReadAndTheSameStatements() {
    // The form view stores the notice; the POST finds it by the hash in its hidden field, and the
    // request carries it.
    Notice shown =
        optIn.notice(java.util.Set.of(Fixtures.NEWSLETTER, Fixtures.EVENTS), Locale.ENGLISH);
    statements.clear();

    Notice posted = optIn.noticeByHash(shown.hash()).orElseThrow();
    RequestResult result =
        optIn.request(
            ConsentRequest.of(
                    "ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER, Fixtures.EVENTS)
                .withShownNotice(posted));

    assertInstanceOf(RequestResult.Accepted.class, result);
    // as signupOfNewAddressWithTwoPurposesThenOneTransaction: the shown notice is neither read nor
    // looked up again
    assertSteps(TWO_PURPOSE_SIGNUP);
  }

  @Test
  void confirmationPageThenOneReadWithoutTransaction() {
    String token = linkOf(signUp("ann@example.com", Fixtures.NEWSLETTER, Fixtures.EVENTS));
    statements.clear();

    assertInstanceOf(ConfirmationPreview.Ready.class, optIn.preview(token));

    // the request joined with its address change and its subject's consents
    // (Transaction.confirmationView), in autocommit (ConsentStore.read: no begin, no commit, no
    // isolation check); the notice comes from the instance's checked notices
    assertSteps(List.of("SELECT"));
  }

  @Test
  void mayMailThenTwoReadsWithoutTransaction() {
    statements.clear();

    optIn.mayMail("first@example.com", Fixtures.NEWSLETTER);

    assertSteps(List.of("SELECT", "SELECT"));
  }

  @Test
  void subscribeFormNoticeOfKnownPurposesThenNoStatement() {
    optIn.notice(java.util.Set.of(Fixtures.NEWSLETTER, Fixtures.EVENTS), Locale.ENGLISH);
    statements.clear();

    optIn.notice(java.util.Set.of(Fixtures.NEWSLETTER, Fixtures.EVENTS), Locale.ENGLISH);

    assertSteps(List.of());
  }

  @Test
  void confirmOfOnePurposeThenConsentsReadOnceAndTheHistoryHeadMovesOnce() {
    confirmAll(Fixtures.NEWSLETTER);

    // isolation check; subject, lock head, lock request (its address change read in the same
    // statement: RequestStore.requestAndChange), use token, the consents with the suppression check
    // (one read under the head lock: Transaction.consentsWithSuppression); save the consent,
    // append the event; close request, queue receipt (no lift: the address is not suppressed),
    // move head; claim the feed positions and insert the feed entries, last
    assertSteps(
        List.of(
            "ISOLATION",
            "SELECT",
            "SELECT",
            "SELECT",
            "INSERT",
            "SELECT",
            "UPSERT",
            "INSERT",
            "UPDATE",
            "INSERT",
            "UPDATE",
            "CLAIM",
            "INSERT",
            "COMMIT"));
  }

  @Test
  void confirmOfTwoPurposesThenConsentsAndEventsInOneBatchEach() {
    confirmAll(Fixtures.NEWSLETTER, Fixtures.EVENTS);

    assertSteps(
        List.of(
            "ISOLATION",
            "SELECT",
            "SELECT",
            "SELECT",
            "INSERT",
            "SELECT",
            "BATCH UPSERT",
            "BATCH INSERT",
            "UPDATE",
            "INSERT",
            "UPDATE",
            "CLAIM",
            "INSERT",
            "COMMIT"));
  }

  @Test
  void confirmOfAnErasedAddressSignedUpAgainThenTheSuppressionLiftedWithOneStatementMore() {
    RequestResult first = signUp("ann@example.com", Fixtures.NEWSLETTER);
    optIn
        .rights()
        .erase(((RequestResult.Accepted) first).subjectId(), org.optin4j.Channel.OPERATOR);
    String token = linkOf(signUp("ann@example.com", Fixtures.NEWSLETTER));
    statements.clear();

    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));

    // as confirmOfOnePurpose..., and the suppression the erasure left is lifted (DELETE) because
    // the consents' read found it
    assertSteps(
        List.of(
            "ISOLATION",
            "SELECT",
            "SELECT",
            "SELECT",
            "INSERT",
            "SELECT",
            "UPSERT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "INSERT",
            "UPDATE",
            "CLAIM",
            "INSERT",
            "COMMIT"));
    assertEquals(false, optIn.rights().isSuppressed("ann@example.com"));
  }

  /** Signs ann up for the purposes and confirms them all through the mailed link; records only the confirmation. */
  private void confirmAll(PurposeId... purposes) {
    String token = linkOf(signUp("ann@example.com", purposes));
    statements.clear();

    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
  }

  private RequestResult signUp(String email, PurposeId... purposes) {
    RequestResult result = optIn.request(ConsentRequest.of(email, Locale.ENGLISH, purposes));
    assertInstanceOf(RequestResult.Accepted.class, result);
    return result;
  }

  private String linkOf(RequestResult unused) {
    optIn.operations().dispatchNow();
    return Fixtures.token(mailer.last().text(), "confirm");
  }

  /**
   * Compares the round trips with the expected steps, each named by what it does whatever the dialect spells it:
   * {@code UPSERT} for MERGE, ON CONFLICT and ON DUPLICATE KEY; {@code CLAIM} for the feed's position claim; a
   * {@code BATCH} prefix for one executeBatch; {@code ISOLATION} for the isolation level the store reads at the start
   * of a write unit (a {@code SHOW} statement on PostgreSQL).
   */
  private void assertSteps(List<String> expected) {
    assertEquals(expected, steps(), String.join("\n", statements));
  }

  private List<String> steps() {
    return statements.stream().map(JdbcRoundTrips::step).toList();
  }

  static String step(String recorded) {
    String batch = recorded.startsWith("BATCH ") ? "BATCH " : "";
    String sql = recorded.substring(batch.length()).strip();
    String upper = sql.toUpperCase(Locale.ROOT);
    String kind = upper.split("\\s+", 2)[0];
    if (upper.contains("FEED") && upper.contains("UPDATE") && !kind.equals("INSERT")) {
      kind = "CLAIM";
    } else if (kind.equals("MERGE")
        || upper.contains(" ON CONFLICT (") && upper.contains("DO UPDATE")
        || upper.contains(" ON DUPLICATE KEY UPDATE")) {
      kind = "UPSERT";
    }
    return batch + kind;
  }

  /** A data source whose connections record every statement they execute, and every commit. */
  private DataSource counting(DataSource target) {
    return (DataSource)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, method, args) -> {
              Object result = invoke(target, method, args);
              return result instanceof Connection c ? countingConnection(c) : result;
            });
  }

  private Connection countingConnection(Connection target) {
    return (Connection)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              if (method.getName().equals("commit")) {
                statements.add("COMMIT");
              }
              if (method.getName().equals("getTransactionIsolation")) {
                statements.add("ISOLATION");
              }
              Object result = invoke(target, method, args);
              if (result instanceof PreparedStatement ps
                  && method.getName().equals("prepareStatement")) {
                String sql = (String) args[0];
                return Proxy.newProxyInstance(
                    getClass().getClassLoader(),
                    new Class<?>[] {PreparedStatement.class},
                    (p, m, a) -> {
                      // A batch is one round trip; the rows added to it are none.
                      if (m.getName().equals("executeBatch")
                          || m.getName().equals("executeLargeBatch")) {
                        statements.add("BATCH " + sql);
                      } else if (m.getName().startsWith("execute")) {
                        statements.add(sql);
                      }
                      return invoke(ps, m, a);
                    });
              }
              if (result instanceof Statement st && method.getName().equals("createStatement")) {
                return Proxy.newProxyInstance(
                    getClass().getClassLoader(),
                    new Class<?>[] {Statement.class},
                    (p, m, a) -> {
                      if (m.getName().startsWith("execute")
                          && a != null
                          && a.length > 0
                          && a[0] instanceof String sql) {
                        statements.add(sql);
                      }
                      return invoke(st, m, a);
                    });
              }
              return result;
            });
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
