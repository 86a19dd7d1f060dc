package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.SubjectStore;
import org.optin4j.spi.TransactionConflictException;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * A signup the database rolls back for a conflict with a concurrent unit (a deadlock's victim) is run again, unless
 * it joined the caller's transaction.
 */
class OptInConflictRetryTest {
  private final InMemoryConsentStore real = InMemoryConsentStore.create();
  private final AtomicInteger conflictsLeft = new AtomicInteger();
  private final AtomicInteger units = new AtomicInteger();
  private boolean joinsCallerTransaction;
  private final OptIn optIn =
      Fixtures.builder(
              conflicting(),
              new RecordingMailer(),
              TestClock.at(Instant.parse("2026-03-01T10:00:00Z")))
          .build();

  @Test
  void requestWhenUnitIsADeadlockVictimThenRunsAgainAndSignsUpOnce() {
    conflictsLeft.set(2);

    RequestResult r =
        optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER));

    assertInstanceOf(RequestResult.Accepted.class, r);
    assertEquals(1L, optIn.operations().countSubjects());
    assertEquals(0, conflictsLeft.get());
  }

  @Test
  void requestWhenConflictsKeepComingThenGivesUpWithTheConflict() {
    conflictsLeft.set(3);

    assertThrows(
        TransactionConflictException.class,
        () ->
            optIn.request(
                ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER)));

    assertEquals(0L, optIn.operations().countSubjects(), "nothing of the refused units is kept");
  }

  @Test
  void requestWhenUnitJoinsTheCallersTransactionAndIsADeadlockVictimThenDoesNotRunAgain() {
    joinsCallerTransaction = true;
    conflictsLeft.set(1);

    assertThrows(
        TransactionConflictException.class,
        () ->
            optIn.request(
                ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER)));

    assertEquals(1, units.get(), "the caller retries its whole transaction, the library does not");
  }

  /** The in-memory store, whose units fail with a conflict on their subject insert while conflicts are left. */
  private ConsentStore conflicting() {
    return (ConsentStore)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ConsentStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("joinsCallerTransaction")) {
                return joinsCallerTransaction;
              }
              if (method.getName().equals("inTransaction")) {
                units.incrementAndGet();
                @SuppressWarnings("unchecked")
                Function<ConsentStore.Transaction, Object> work =
                    (Function<ConsentStore.Transaction, Object>) args[0];
                return real.inTransaction(tx -> work.apply(conflicting(tx)));
              }
              return invoke(real, method, args);
            });
  }

  private ConsentStore.Transaction conflicting(ConsentStore.Transaction tx) {
    return (ConsentStore.Transaction)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ConsentStore.Transaction.class},
            (proxy, method, args) -> {
              if (method.getName().equals("subjects")) {
                return conflicting(tx.subjects());
              }
              return invoke(tx, method, args);
            });
  }

  private SubjectStore conflicting(SubjectStore subjects) {
    return (SubjectStore)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {SubjectStore.class},
            (proxy, method, args) -> {
              Object result = invoke(subjects, method, args);
              if (method.getName().equals("insertSubject")
                  && conflictsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new TransactionConflictException(
                    "database error: could not insert a subject (deadlock)", null);
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
