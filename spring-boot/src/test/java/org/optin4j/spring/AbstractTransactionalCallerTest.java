package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentChange;
import org.optin4j.ConsentRequest;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.testing.MailLink;
import org.optin4j.testing.RecordingMailer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * optin4j called from an app's {@code @Transactional} method, on a pool of one connection: the starter's store joins
 * the app's transaction (no second connection, which the pool could not give), a rollback of it leaves no subject, no
 * outbox mail and no listener call, and its commit keeps them, with the mail sent and listeners told only after the
 * commit; a store failure the app catches still makes its transaction roll back. Subclasses pick the database.
 */
abstract class AbstractTransactionalCallerTest {
  private static final PurposeId NEWSLETTER = new PurposeId("newsletter");

  @Autowired OptIn optIn;
  @Autowired ConsentStore store;
  @Autowired RecordingMailer mailer;
  @Autowired TransactionalCallerApp.Told told;
  @Autowired TransactionalCallerApp.Service service;

  @Test
  void requestInsideTransactionalMethodThenOnItsConnectionAndSeenByItsReads(TestInfo test) {
    String email = address(test);

    boolean seen =
        service.inTransaction(
            () -> {
              assertTrue(TransactionSynchronizationManager.isActualTransactionActive());
              assertInstanceOf(RequestResult.Accepted.class, request(email));
              return optIn.findSubject(email).isPresent();
            });

    assertTrue(seen, "a read in the transaction sees its uncommitted signup");
    assertTrue(optIn.findSubject(email).isPresent(), "committed with the app's transaction");
  }

  @Test
  void requestWhenTransactionalMethodThenFailsThenNoSubjectNoMail(TestInfo test) {
    String email = address(test);

    assertThrows(
        IllegalStateException.class,
        () ->
            service.inTransaction(
                () -> {
                  request(email);
                  throw new IllegalStateException("the app's own failure after the signup");
                }));

    assertTrue(optIn.findSubject(email).isEmpty(), "rolled back with the app's transaction");
    optIn.operations().dispatchNow();
    assertEquals(List.of(), mailer.sentTo(email), "no outbox mail left behind");
  }

  @Test
  void requestWhenTransactionalMethodCommitsThenMailSentAfterTheCommit(TestInfo test)
      throws InterruptedException {
    String email = address(test);

    service.inTransaction(
        () -> {
          request(email);
          pause();
          assertEquals(List.of(), mailer.sentTo(email), "not before the commit");
          return null;
        });

    // Sent by the started dispatcher, woken by the commit: nobody calls dispatchNow here.
    waitFor(() -> mailer.sentTo(email).size() == 1);
  }

  @Test
  void confirmWhenTransactionalMethodThenFailsThenNoListenerCallAndStillPending(TestInfo test)
      throws InterruptedException {
    String email = address(test);
    String token = confirmationToken(email);

    assertThrows(
        IllegalStateException.class,
        () ->
            service.inTransaction(
                () -> {
                  optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE);
                  throw new IllegalStateException("the app's own failure after the confirmation");
                }));

    pause();
    assertEquals(List.of(), changesOf(email), "listeners hear of nothing that was rolled back");
    assertFalse(optIn.mayMail(email, NEWSLETTER), "still pending");
  }

  @Test
  void confirmWhenTransactionalMethodCommitsThenListenerToldAfterTheCommit(TestInfo test)
      throws InterruptedException {
    String email = address(test);
    String token = confirmationToken(email);

    ConfirmationResult result =
        service.inTransaction(
            () -> {
              ConfirmationResult r = optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE);
              pause();
              assertEquals(List.of(), changesOf(email), "not before the commit");
              return r;
            });

    assertInstanceOf(ConfirmationResult.Confirmed.class, result);
    waitFor(() -> changesOf(email).size() == 1);
    assertEquals(ConsentChange.Type.CONFIRMED, changesOf(email).get(0).type());
    assertTrue(optIn.mayMail(email, NEWSLETTER));
  }

  @Test
  void storeFailureCaughtInsideTransactionalMethodThenTheCommitRollsBack(TestInfo test) {
    String email = address(test);
    Subject twice =
        new Subject(
            SubjectId.random(new SecureRandom()),
            EmailAddress.parse("twice-" + email),
            Instant.now());

    assertThrows(
        UnexpectedRollbackException.class,
        () ->
            service.inTransaction(
                () -> {
                  request(email);
                  assertThrows(
                      DuplicateKeyException.class,
                      () ->
                          store.inTransaction(
                              tx -> {
                                tx.subjects().insertSubject(twice);
                                tx.subjects().insertSubject(twice);
                                return null;
                              }));
                  return null; // the app caught the store's failure and carried on
                }));

    assertTrue(optIn.findSubject(email).isEmpty(), "the whole transaction rolled back");
  }

  private RequestResult request(String email) {
    return optIn.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER));
  }

  /** Signs up outside any transaction and returns the token of the confirmation link. */
  private String confirmationToken(String email) throws InterruptedException {
    request(email);
    optIn.operations().dispatchNow();
    waitFor(() -> !mailer.sentTo(email).isEmpty());
    return MailLink.to(mailer.sentTo(email).get(0), "confirm").orElseThrow().token();
  }

  private List<ConsentChange> changesOf(String email) {
    return told.changes.stream().filter(c -> c.email().value().equals(email)).toList();
  }

  private String address(TestInfo test) {
    // One address per test method and class (a local part has at most 64 characters).
    return "tx-"
        + Integer.toHexString(test.getTestMethod().orElseThrow().getName().hashCode())
        + "-"
        + getClass().getSimpleName().toLowerCase(Locale.ROOT)
        + "@example.org";
  }

  /** Longer than the dispatcher's wake-up delay and a listener call's start. */
  private static void pause() {
    try {
      Thread.sleep(300);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean(), "in time");
  }
}
