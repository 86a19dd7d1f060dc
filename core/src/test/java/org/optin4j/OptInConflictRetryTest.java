package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import java.time.Instant;
import java.util.Locale;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mockito.stubbing.Answer;
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
  private final ConsentStore store = mock(ConsentStore.class, delegatesTo(real));
  private final OptIn optIn =
      Fixtures.builder(
              store, new RecordingMailer(), TestClock.at(Instant.parse("2026-03-01T10:00:00Z")))
          .build();

  @Test
  void requestWhenUnitIsADeadlockVictimThenRunsAgainAndSignsUpOnce() {
    doAnswer(deadlockVictim())
        .doAnswer(deadlockVictim())
        .doAnswer(delegatesTo(real))
        .when(store)
        .inTransaction(any());

    RequestResult r =
        optIn.request(ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER));

    assertInstanceOf(RequestResult.Accepted.class, r);
    verify(store, times(3)).inTransaction(any());
    assertEquals(1L, optIn.operations().countSubjects());
  }

  @Test
  void requestWhenConflictsKeepComingThenGivesUpWithTheConflict() {
    doAnswer(deadlockVictim()).when(store).inTransaction(any());

    assertThrows(
        TransactionConflictException.class,
        () ->
            optIn.request(
                ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER)));

    verify(store, times(3)).inTransaction(any());
    assertEquals(0L, optIn.operations().countSubjects(), "nothing of the refused units is kept");
  }

  @Test
  void requestWhenUnitJoinsTheCallersTransactionAndIsADeadlockVictimThenDoesNotRunAgain() {
    doReturn(true).when(store).joinsCallerTransaction();
    doAnswer(deadlockVictim()).doAnswer(delegatesTo(real)).when(store).inTransaction(any());

    assertThrows(
        TransactionConflictException.class,
        () ->
            optIn.request(
                ConsentRequest.of("ann@example.com", Locale.ENGLISH, Fixtures.NEWSLETTER)));

    verify(
            store,
            times(1).description("the caller retries its whole transaction, the library does not"))
        .inTransaction(any());
  }

  /**
   * A unit of the in-memory store whose subject insert runs and then fails with a conflict, as a deadlock's victim
   * does: the store rolls the unit back.
   */
  private Answer<Object> deadlockVictim() {
    return invocation -> {
      Function<ConsentStore.Transaction, Object> work = invocation.getArgument(0);
      return real.inTransaction(tx -> work.apply(conflictingOnSubjectInsert(tx)));
    };
  }

  private static ConsentStore.Transaction conflictingOnSubjectInsert(ConsentStore.Transaction tx) {
    SubjectStore subjects = mock(SubjectStore.class, delegatesTo(tx.subjects()));
    doAnswer(
            insert -> {
              tx.subjects().insertSubject(insert.getArgument(0));
              throw new TransactionConflictException(
                  "database error: could not insert a subject (deadlock)", null);
            })
        .when(subjects)
        .insertSubject(any());
    ConsentStore.Transaction conflicting = mock(ConsentStore.Transaction.class, delegatesTo(tx));
    doReturn(subjects).when(conflicting).subjects();
    return conflicting;
  }
}
