package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * One subject's history changed by several nodes at once: every unit takes the subject's history lock before its
 * consent rows, so concurrent units neither deadlock nor fork the chain. Each node is an {@link OptIn} over its own
 * {@link JdbcConsentStore} on the shared database. Run on every dialect by the subclasses.
 */
abstract class JdbcHistoryConcurrency {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final SigningKeys keys = SigningKeys.generate("k1");
  private final RecordingMailer mailer = new RecordingMailer();
  private final List<OptIn> nodes = new ArrayList<>();
  private TestDatabase database;

  abstract TestDatabase open() throws Exception;

  @BeforeEach
  void openDatabase() throws Exception {
    database = open();
    String prefix = database.nextPrefix();
    for (int i = 0; i < 3; i++) {
      JdbcConsentStore store =
          JdbcConsentStore.builder(database.dataSource())
              .tablePrefix(prefix)
              .createSchema(i == 0)
              .build();
      nodes.add(
          Fixtures.builder(store, mailer, clock)
              .signingKeys(keys)
              .confirmationMailCap(20, java.time.Duration.ZERO)
              .build());
    }
  }

  @AfterEach
  void close() throws Exception {
    nodes.forEach(OptIn::close);
    database.close();
  }

  @Test
  void
      concurrentRestrictWithdrawRequestAndConfirmOfOneSubjectOnSeveralNodesThenNoDeadlockAndOneIntactChain()
          throws Exception {
    OptIn first = nodes.get(0);
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            first.request(
                ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER, EVENTS)));
    first.operations().dispatchNow();
    first.confirm(
        Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
    SubjectId ann = r.subjectId();
    int rounds = 15;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> work = new ArrayList<>();
      work.add(pool.submit(() -> toggle(start, nodes.get(0), ann, NEWSLETTER, rounds)));
      work.add(pool.submit(() -> toggle(start, nodes.get(1), ann, EVENTS, rounds)));
      work.add(
          pool.submit(
              () -> {
                await(start);
                for (int i = 0; i < rounds; i++) {
                  // withdraw everything, then ask again (a new request for both purposes: two
                  // events each time)
                  nodes.get(2).withdraw(ann, Set.of(), Channel.PREFERENCE_CENTER, Evidence.NONE);
                  nodes
                      .get(2)
                      .request(
                          ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER, EVENTS));
                }
                return null;
              }));
      work.add(
          pool.submit(
              () -> {
                await(start);
                for (int i = 0; i < rounds; i++) {
                  // confirm whatever link is newest: history, then request, then consent rows, like
                  // every other unit
                  nodes.get(0).operations().dispatchNow();
                  List<org.optin4j.spi.MailMessage> sent = mailer.sent();
                  if (!sent.isEmpty()
                      && sent.get(sent.size() - 1).text().contains("/confirm?token=")) {
                    nodes
                        .get(0)
                        .confirm(
                            Fixtures.token(sent.get(sent.size() - 1).text(), "confirm"),
                            ConfirmationChoice.all(),
                            Evidence.NONE);
                  }
                }
                return null;
              }));
      start.countDown();
      for (Future<?> f : work) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    HistoryVerification.Intact intact =
        assertInstanceOf(HistoryVerification.Intact.class, first.proof().verifyHistory(ann));
    List<ConsentEvent> history = first.proof().history(ann);
    assertEquals(history.size(), intact.events());
    for (int i = 0; i < history.size(); i++) {
      assertEquals(i + 1, history.get(i).seal().position());
    }
    long requested = history.stream().filter(e -> e.type() == ConsentEvent.Type.REQUESTED).count();
    assertEquals(2 + 2 * rounds, requested, "every request of the third node was recorded");
  }

  private Void toggle(CountDownLatch start, OptIn node, SubjectId id, PurposeId purpose, int rounds)
      throws InterruptedException {
    await(start);
    for (int i = 0; i < rounds; i++) {
      node.rights().restrict(id, purpose, true, Channel.OPERATOR);
      node.rights().restrict(id, purpose, false, Channel.OPERATOR);
    }
    return null;
  }

  private static void await(CountDownLatch latch) throws InterruptedException {
    assertTrue(latch.await(60, TimeUnit.SECONDS));
  }
}
