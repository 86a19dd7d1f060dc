package org.optin4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.MailerSession;
import org.optin4j.spi.SendOutcome;

class RecordingMailerTest {
  private static final SendOutcome SENT = new SendOutcome.Sent();

  private final RecordingMailer mailer = new RecordingMailer();

  private static MailMessage mail(String to, String text) {
    return MailLinkTest.mail(to, text, Map.of());
  }

  @Test
  void sendThenEveryMailSentAndRecordedInOrder() {
    MailMessage ann = mail("ann@example.org", "one");
    MailMessage bob = mail("bob@example.org", "two");

    assertEquals(List.of(SENT, SENT), mailer.send(List.of(ann, bob)));

    assertEquals(List.of(ann, bob), mailer.sent());
    assertEquals(List.of(ann, bob), mailer.attempts());
    assertEquals(bob, mailer.last());
    assertEquals(List.of(2), mailer.batchSizes());
  }

  @Test
  void refuseThenPermanentFailureForThatAddressInAnyFormAndNotCountedSent() {
    mailer.refuse("Bob@Example.ORG");
    MailMessage ann = mail("ann@example.org", "one");
    MailMessage bob = mail("bob@example.org", "two");

    assertEquals(
        List.of(SENT, new SendOutcome.PermanentFailure("SMTP 550")),
        mailer.send(List.of(ann, bob)));

    assertEquals(List.of(ann), mailer.sent());
    assertEquals(List.of(ann, bob), mailer.attempts());
    assertTrue(mailer.sentTo("bob@example.org").isEmpty());
  }

  @Test
  void failTemporarilyThenTransientFailureUntilAccepted() {
    mailer.failTemporarily("bob@example.org");
    MailMessage bob = mail("bob@example.org", "two");

    assertEquals(List.of(new SendOutcome.TransientFailure("SMTP 451")), mailer.send(List.of(bob)));
    mailer.accept("bob@example.org");
    assertEquals(List.of(SENT), mailer.send(List.of(bob)));

    assertEquals(List.of(bob, bob), mailer.attempts(), "the retry is a second attempt");
    assertEquals(List.of(bob), mailer.sentTo("bob@example.org"));
  }

  @Test
  void answerThenEveryOtherMailGetsItAndAnAddressRuleWins() {
    mailer.answer(m -> new SendOutcome.TransientFailure("SMTP 421"));
    mailer.refuse("bob@example.org");

    List<SendOutcome> out =
        mailer.send(List.of(mail("ann@example.org", "x"), mail("bob@example.org", "y")));

    assertEquals(
        List.of(
            new SendOutcome.TransientFailure("SMTP 421"),
            new SendOutcome.PermanentFailure("SMTP 550")),
        out);
    assertTrue(mailer.sent().isEmpty());
  }

  @Test
  void answerInBatchThenToldEachMailsPositionInItsBatch() {
    List<Integer> positions = new ArrayList<>();
    mailer.answerInBatch(
        (mail, position) -> {
          positions.add(position);
          return SENT;
        });

    mailer.send(List.of(mail("a@example.org", "1"), mail("b@example.org", "2")));
    try (MailerSession session = mailer.openSession()) {
      session.sendEach(List.of(mail("c@example.org", "3")), (i, o) -> true);
    }

    assertEquals(List.of(0, 1, 0), positions);
    assertEquals(List.of(2, 1), mailer.batchSizes());
  }

  @Test
  void sessionSendEachThenOutcomesReportedInOrderAndStopsWhenTheListenerSaysSo() {
    mailer.refuse("b@example.org");
    List<SendOutcome> told = new ArrayList<>();
    MailerSession session = mailer.openSession();

    session.sendEach(
        List.of(mail("a@example.org", "1"), mail("b@example.org", "2"), mail("c@example.org", "3")),
        (i, o) -> told.add(o) && i < 1);
    session.close();

    assertEquals(List.of(SENT, new SendOutcome.PermanentFailure("SMTP 550")), told);
    assertEquals(2, mailer.attempts().size(), "the third mail was never attempted");
    assertEquals(1, mailer.sessionsOpened());
    assertEquals(1, mailer.sessionsClosed());
  }

  @Test
  void linkThenFromTheNewestMailToThatAddressThatHasOne() {
    mailer.send(
        List.of(
            mail("ann@example.org", "https://shop.example/optin/confirm?token=old"),
            mail("bob@example.org", "https://shop.example/optin/confirm?token=bob"),
            mail("ann@example.org", "https://shop.example/optin/confirm?token=new"),
            mail("ann@example.org", "Thank you, no link here.")));

    assertEquals("new", mailer.link("ANN@example.org", "confirm").token());
    assertEquals("bob", mailer.link("bob@example.org", "confirm").token());
  }

  @Test
  void linkWhenNoneThenAssertionErrorWithoutTheAddress() {
    mailer.send(List.of(mail("ann@example.org", "no link")));

    AssertionError e =
        assertThrows(AssertionError.class, () -> mailer.link("ann@example.org", "confirm"));

    assertEquals("no link to confirm in the 1 mail(s) sent to that address", e.getMessage());
  }

  @Test
  void lastWhenNothingSentThenAssertionError() {
    assertThrows(AssertionError.class, mailer::last);
  }

  @Test
  void clearThenRecordsForgottenButRulesAndSessionCountsKept() {
    mailer.refuse("bob@example.org");
    mailer.openSession().close();
    mailer.send(List.of(mail("ann@example.org", "x")));

    mailer.clear();

    assertTrue(
        mailer.sent().isEmpty() && mailer.attempts().isEmpty() && mailer.batchSizes().isEmpty());
    assertEquals(1, mailer.sessionsClosed());
    assertEquals(
        List.of(new SendOutcome.PermanentFailure("SMTP 550")),
        mailer.send(List.of(mail("bob@example.org", "y"))));
  }

  @Test
  void refuseWhenNotAnAddressThenRefused() {
    assertThrows(IllegalArgumentException.class, () -> mailer.refuse("not an address"));
  }
}
