package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * A signup of a known address while the retention job deletes that subject on another connection, between the
 * signup's lookup of the address and its history lock: the signup must become a fresh one, not fail on a foreign key
 * or leave a history head behind for the deleted subject.
 */
class JdbcSignupDuringPurgeTest {
  private final TestDatabase database = new TestDatabase.H2();
  private final String prefix = database.nextPrefix();
  private final JdbcConsentStore real =
      JdbcConsentStore.builder(database.dataSource())
          .tablePrefix(prefix)
          .createSchema(true)
          .build();
  private final AtomicBoolean deleteOnNextLock = new AtomicBoolean();
  private OptIn optIn;

  @AfterEach
  void stop() throws Exception {
    optIn.close();
    database.close();
  }

  @Test
  void requestWhenSubjectDeletedBetweenLookupAndLockThenSignsUpAfreshWithoutOrphanHead()
      throws Exception {
    optIn =
        Fixtures.builder(
                deletingOnLock(),
                new RecordingMailer(),
                TestClock.at(Instant.parse("2026-03-01T10:00:00Z")))
            .build();
    RequestResult first =
        optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER));
    SubjectId gone = ((RequestResult.Accepted) first).subjectId();

    deleteOnNextLock.set(true);
    RequestResult again =
        optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER));

    RequestResult.Accepted accepted = assertInstanceOf(RequestResult.Accepted.class, again);
    assertNotEquals(gone, accepted.subjectId(), "a new subject: the old one is gone");
    assertEquals(0, headRows(gone), "no history head left behind for the deleted subject");
    assertTrue(optIn.findSubject("ann@example.com").isPresent());
    assertEquals(accepted.subjectId(), optIn.findSubject("ann@example.com").orElseThrow().id());
  }

  private long headRows(SubjectId id) throws Exception {
    try (Connection c = database.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT COUNT(*) FROM " + prefix + "history_heads WHERE subject_id = ?")) {
      ps.setString(1, id.value());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The real store, whose units delete the subject on another connection right before their first history lock. */
  private ConsentStore deletingOnLock() {
    return (ConsentStore)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ConsentStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("inTransaction")) {
                @SuppressWarnings("unchecked")
                Function<ConsentStore.Transaction, Object> work =
                    (Function<ConsentStore.Transaction, Object>) args[0];
                return real.inTransaction(tx -> work.apply(deletingOnLock(tx)));
              }
              return invoke(real, method, args);
            });
  }

  private ConsentStore.Transaction deletingOnLock(ConsentStore.Transaction tx) {
    return (ConsentStore.Transaction)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ConsentStore.Transaction.class},
            (proxy, method, args) -> {
              if (method.getName().equals("history")) {
                return deletingOnLock(tx.history());
              }
              return invoke(tx, method, args);
            });
  }

  private HistoryStore deletingOnLock(HistoryStore history) {
    return (HistoryStore)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {HistoryStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("lock") && deleteOnNextLock.getAndSet(false)) {
                SubjectId id = (SubjectId) args[0];
                // Another node's retention job, committed before this unit takes its lock.
                CompletableFuture.runAsync(
                        () -> real.inTransaction(other -> other.subjects().eraseSubject(id, false)))
                    .get();
              }
              return invoke(history, method, args);
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
