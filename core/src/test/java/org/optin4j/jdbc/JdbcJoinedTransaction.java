package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.clearInvocations;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfirmationChoice;
import org.optin4j.Consent;
import org.optin4j.ConsentChange;
import org.optin4j.ConsentRequest;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.testing.MailLink;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * {@link JdbcConsentStore} joining a caller's transaction through a {@link TransactionBinding}, here a fake one that
 * stands for a framework's: units of work run on the caller's connection and leave its transaction to the caller,
 * after-commit work waits for the caller's commit, and a store failure makes the caller's transaction rollback-only.
 * Run on every dialect by the subclasses.
 */
abstract class JdbcJoinedTransaction {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private final FakeBinding binding = new FakeBinding();
  private final RecordingMailer mailer = new RecordingMailer();
  private final List<ConsentChange> told = new CopyOnWriteArrayList<>();
  private TestDatabase database;
  private DataSource dataSource;
  private JdbcConsentStore store;
  private OptIn optIn;

  abstract TestDatabase open() throws Exception;

  @BeforeEach
  void build() throws Exception {
    database = open();
    dataSource = mock(DataSource.class, delegatesTo(database.dataSource()));
    store =
        JdbcConsentStore.builder(dataSource)
            .tablePrefix(database.nextPrefix())
            .createSchema(true)
            .joinTransactions(binding)
            .build();
    database.execute("CREATE TABLE " + store.tablePrefix() + "app_rows (id INT PRIMARY KEY)");
    optIn =
        Fixtures.builder(store, mailer, TestClock.at(T0))
            .listener(told::add)
            .listenerRetries(1, java.time.Duration.ofMillis(1))
            .build();
    clearInvocations(dataSource);
  }

  @AfterEach
  void close() throws Exception {
    optIn.close();
    database.close();
  }

  @Test
  void requestInsideCallerTransactionThenRunsOnItsConnectionAndLeavesItsTransactionAlone()
      throws Exception {
    inCallerTransaction(
        true,
        c -> {
          RequestResult r =
              optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, NEWSLETTER));
          assertInstanceOf(RequestResult.Accepted.class, r);
          assertTrue(
              optIn.findSubject("ann@example.com").isPresent(),
              "a read in the caller's transaction sees its uncommitted writes");
          assertTrue(store.joinsCallerTransaction());
          return null;
        });

    verify(dataSource, never().description("no connection of the store's own")).getConnection();
    verify(dataSource, never()).getConnection(any(), any());
    assertEquals(List.of(), binding.forbidden, "no commit, rollback, close or setting of its own");
    assertFalse(store.joinsCallerTransaction(), "outside the caller's transaction");
  }

  @Test
  void requestAndConfirmWhenCallerRollsBackThenNoSubjectNoMailNoListenerCall() throws Exception {
    inCallerTransaction(
        false,
        c -> optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, NEWSLETTER)));

    assertTrue(optIn.findSubject("ann@example.com").isEmpty());
    assertEquals(0, optIn.operations().dispatchNow().sent());
    assertEquals(List.of(), mailer.sent(), "no outbox mail left behind");

    String token = confirmToken("bob@example.com");
    inCallerTransaction(false, c -> optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    sleepQuietly();
    assertEquals(List.of(), told, "listeners hear of nothing that was rolled back");
    assertFalse(optIn.mayMail("bob@example.com", NEWSLETTER));
    assertEquals(0, optIn.operations().dispatchNow().sent(), "no receipt");
  }

  @Test
  void requestWhenCallerCommitsThenSubjectAndMailSentAfterTheCommit() throws Exception {
    inCallerTransaction(
        true,
        c -> {
          optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, NEWSLETTER));
          assertEquals(2, binding.afterCommit.size(), "the wake-up and the new notice wait");
          return null;
        });

    assertTrue(optIn.findSubject("ann@example.com").isPresent());
    assertEquals(1, optIn.operations().dispatchNow().sent());
    assertEquals(1, mailer.sentTo("ann@example.com").size());
  }

  @Test
  void metricsWhenCallerRollsBackThenNothingCountedAndWhenItCommitsThenCountedAfterTheCommit()
      throws Exception {
    List<String> counted = new CopyOnWriteArrayList<>();
    OptInMetrics metrics =
        new OptInMetrics() {
          @Override
          public void signup(RequestResult outcome) {
            counted.add("signup " + outcome.getClass().getSimpleName());
          }

          @Override
          public void mailQueued(MailKind kind) {
            counted.add("queued " + kind);
          }
        };
    try (OptIn metered =
        Fixtures.builder(store, mailer, TestClock.at(T0)).metrics(metrics).build()) {
      inCallerTransaction(
          false,
          c -> metered.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, NEWSLETTER)));
      assertEquals(List.of(), counted, "a rolled-back signup and its mail are not counted");

      inCallerTransaction(
          true,
          c -> {
            metered.request(ConsentRequest.of("bob@example.com", Locale.ENGLISH, NEWSLETTER));
            assertEquals(List.of(), counted, "nothing counted before the caller commits");
            return null;
          });
      assertEquals(List.of("queued CONFIRMATION", "signup Accepted"), counted);
    }
  }

  @Test
  void confirmWhenCallerCommitsThenListenersOnlyAfterTheCommit() throws Exception {
    String token = confirmToken("bob@example.com");

    inCallerTransaction(
        true,
        c -> {
          optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE);
          sleepQuietly();
          assertEquals(List.of(), told, "not before the commit");
          return null;
        });

    waitFor(() -> told.size() == 1);
    assertEquals(ConsentChange.Type.CONFIRMED, told.get(0).type());
    assertTrue(optIn.mayMail("bob@example.com", NEWSLETTER));
    assertEquals(1, optIn.operations().dispatchNow().sent(), "the receipt");
  }

  @Test
  void requestAfterCallerRolledBackANewNoticeThenStoresTheNoticeAgain() throws Exception {
    inCallerTransaction(
        false,
        c -> optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, NEWSLETTER)));

    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, NEWSLETTER)));

    Consent consent =
        store.read(tx -> tx.subjects().consents(r.subjectId())).stream().findFirst().orElseThrow();
    assertTrue(
        store.read(tx -> tx.notices().notice(consent.notice().hash())).isPresent(),
        "the consent's notice text is stored, not only remembered from the rolled-back unit");
  }

  @Test
  void inTransactionWhenStoreFailsThenUnitUndoneCallerRollbackOnlyAndConnectionUsable()
      throws Exception {
    DuplicateKeyException thrown =
        inCallerTransaction(
            false,
            c -> {
              appRow(c, 1);
              DuplicateKeyException e =
                  assertThrows(
                      DuplicateKeyException.class,
                      () ->
                          store.inTransaction(
                              tx -> {
                                tx.subjects().insertSubject(subject("a"));
                                tx.subjects().insertSubject(subject("a"));
                                return null;
                              }));
              assertTrue(subjectRow(c, "a") == 0, "nothing of the unit is kept");
              assertEquals(
                  1, appRows(c), "the caller's own writes are there, the connection works");
              return e;
            });

    assertSame(thrown, binding.rollbackOnly, "the caller's transaction can only roll back");
  }

  @Test
  void inTransactionWhenWorkThrowsThenUnitUndoneAndCallerMayStillCommit() throws Exception {
    inCallerTransaction(
        true,
        c -> {
          appRow(c, 1);
          assertThrows(
              IllegalStateException.class,
              () ->
                  store.inTransaction(
                      tx -> {
                        tx.subjects().insertSubject(subject("b"));
                        throw new IllegalStateException("the caller's own reason");
                      }));
          return null;
        });

    assertNull(binding.rollbackOnly, "not a store failure: the caller decides");
    try (Connection c = database.dataSource().getConnection()) {
      assertEquals(1, appRows(c), "the caller's own writes are committed");
    }
    assertTrue(store.read(tx -> tx.subjects().subject(subjectId("b"))).isEmpty());
  }

  @Test
  void inTransactionWhenAlreadyUsedTokenThenUnitGoesOnBehindItsOwnSavepoints() throws Exception {
    inCallerTransaction(
        true,
        c ->
            store.inTransaction(
                tx -> {
                  assertTrue(tx.requests().useToken("token-1", T0.plusSeconds(60)));
                  assertFalse(tx.requests().useToken("token-1", T0.plusSeconds(60)));
                  tx.subjects().insertSubject(subject("c"));
                  return null;
                }));

    assertNull(binding.rollbackOnly);
    assertTrue(store.read(tx -> tx.subjects().subject(subjectId("c"))).isPresent());
  }

  @Test
  void inTransactionNestedInAJoinedUnitThenRefused() throws Exception {
    inCallerTransaction(
        true,
        c ->
            store.inTransaction(
                tx -> {
                  assertThrows(IllegalStateException.class, () -> store.inTransaction(t -> null));
                  assertThrows(IllegalStateException.class, () -> store.read(t -> null));
                  return null;
                }));
  }

  @Test
  void afterCommitOutsideACallerTransactionThenRunsAtOnce() {
    Runnable action = mock(Runnable.class);

    store.afterCommit(action);

    verify(action).run();
    assertEquals(List.of(), binding.afterCommit);
  }

  /** Signs an address up outside any caller transaction and returns the token of its confirmation link. */
  private String confirmToken(String email) {
    optIn.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER));
    optIn.operations().dispatchNow();
    MailMessage mail = mailer.sentTo(email).get(0);
    return MailLink.to(mail, "confirm").orElseThrow().token();
  }

  // --- the caller's side

  @FunctionalInterface
  interface CallerWork<T> {
    T run(Connection c) throws Exception;
  }

  /** Runs work in a transaction of the "framework", bound for the store; commits (unless rollback-only) or rolls back. */
  private <T> T inCallerTransaction(boolean commit, CallerWork<T> work) throws Exception {
    try (Connection c = database.dataSource().getConnection()) {
      c.setAutoCommit(false);
      binding.connection = binding.guard(c);
      T result;
      try {
        result = work.run(c);
      } finally {
        binding.connection = null;
      }
      if (commit && binding.rollbackOnly == null) {
        c.commit();
        binding.afterCommit.forEach(Runnable::run);
      } else {
        c.rollback();
      }
      binding.afterCommit.clear();
      return result;
    }
  }

  private void appRow(Connection c, int id) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("INSERT INTO " + store.tablePrefix() + "app_rows (id) VALUES (" + id + ")");
    }
  }

  private int appRows(Connection c) throws SQLException {
    return count(c, "SELECT COUNT(*) FROM " + store.tablePrefix() + "app_rows");
  }

  private int subjectRow(Connection c, String name) throws SQLException {
    return count(
        c,
        "SELECT COUNT(*) FROM "
            + store.tablePrefix()
            + "subjects WHERE id = '"
            + subjectId(name).value()
            + "'");
  }

  private static int count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static SubjectId subjectId(String name) {
    return new SubjectId(name + "-".repeat(22 - name.length()));
  }

  private static Subject subject(String name) {
    return new Subject(subjectId(name), EmailAddress.parse(name + "@example.org"), T0);
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void waitFor(Supplier<Boolean> condition) throws InterruptedException {
    for (int i = 0; i < 500 && !condition.get(); i++) {
      Thread.sleep(10);
    }
    assertTrue(condition.get(), "in time");
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** A framework's binding, faked: one caller transaction at a time, on the test's thread. */
  private static final class FakeBinding implements TransactionBinding {
    volatile Connection connection;
    final List<Runnable> afterCommit = new ArrayList<>();
    final List<String> forbidden = new CopyOnWriteArrayList<>();
    volatile RuntimeException rollbackOnly;

    @Override
    public Active active(DataSource dataSource) {
      Connection c = connection;
      return c == null
          ? null
          : new Active() {
            @Override
            public Connection connection() {
              return c;
            }

            @Override
            public void afterCommit(Runnable action) {
              afterCommit.add(action);
            }

            @Override
            public void setRollbackOnly(RuntimeException cause) {
              if (rollbackOnly == null) {
                rollbackOnly = cause;
              }
            }
          };
    }

    /** The caller's connection as the store sees it: what only the caller may do is recorded and not done. */
    Connection guard(Connection real) {
      return (Connection)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                String name = method.getName();
                boolean callers =
                    name.equals("commit")
                        || name.equals("close")
                        || name.startsWith("setAutoCommit")
                        || name.startsWith("setTransactionIsolation")
                        || name.equals("setReadOnly")
                        || (name.equals("rollback") && (args == null || args.length == 0));
                if (callers) {
                  forbidden.add(name);
                  return null;
                }
                return invoke(real, method, args);
              });
    }
  }
}
