package org.optin4j.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.MailMessage;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

class BouncesTest {
  static final String DOMAIN = "bounces.bakery.example";

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final InMemoryConsentStore store = InMemoryConsentStore.create();
  private final OptIn optIn =
      Fixtures.builder(store, mailer, clock).bounceAddress("bounces", DOMAIN).build();

  @AfterEach
  void close() {
    optIn.close();
  }

  /** Subscribes and confirms {@code email}; returns the subject. */
  private SubjectId confirmed(String email) {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER)
                    .withSource("https://bakery.example/signup")));
    optIn.operations().dispatchNow();
    optIn.confirm(
        Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
    optIn.operations().dispatchNow();
    return r.subjectId();
  }

  /** The VERP envelope sender of the last mail sent. */
  private String lastVerp() {
    MailMessage last = mailer.last();
    assertNotNull(last.returnPath(), "the mail carries its VERP envelope sender");
    return last.returnPath().value();
  }

  private ConsentEvent lastEvent(SubjectId id) {
    List<ConsentEvent> h = optIn.proof().history(id);
    return h.get(h.size() - 1);
  }

  @Test
  void everyMailCarriesItsOwnVerifiableVerpAddress() {
    confirmed("ann@example.org");
    List<MailMessage> sent = mailer.sent();
    assertTrue(sent.size() >= 2);
    String first = sent.get(0).returnPath().value();
    String second = sent.get(1).returnPath().value();
    assertTrue(first.startsWith("bounces+") && first.endsWith("@" + DOMAIN), first);
    assertFalse(first.equals(second), "one address per mail");
  }

  @Test
  void postfixPermanentBounceMarksTheAddressUndeliverable() {
    SubjectId ann = confirmed("ann@example.org");

    ReportOutcome outcome =
        optIn.bounces().report(ReportMessages.postfix(lastVerp(), "ann@example.org"));

    ReportOutcome.Undeliverable u = assertInstanceOf(ReportOutcome.Undeliverable.class, outcome);
    assertEquals(ann, u.subject());
    assertEquals("5.1.1", u.status());
    assertEquals(1, u.marked());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    ConsentEvent mark = lastEvent(ann);
    assertEquals(ConsentEvent.Type.UNDELIVERABLE, mark.type());
    assertEquals(Channel.SYSTEM, mark.channel());
    assertTrue(mark.source().startsWith("bounce 5.1.1"), mark.source());
  }

  @Test
  void eximPlainTextBounceMarksTheAddressUndeliverable() {
    SubjectId ann = confirmed("ann@example.org");

    ReportOutcome outcome =
        optIn.bounces().report(ReportMessages.exim(lastVerp(), "ann@example.org"));

    assertEquals("5.1.1", assertInstanceOf(ReportOutcome.Undeliverable.class, outcome).status());
    assertEquals(ConsentEvent.Type.UNDELIVERABLE, lastEvent(ann).type());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void gmailReportMarksTheAddressUndeliverable() {
    confirmed("ann@example.org");

    ReportOutcome outcome =
        optIn.bounces().report(ReportMessages.gmail(lastVerp(), "ann@example.org"));

    assertInstanceOf(ReportOutcome.Undeliverable.class, outcome);
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void microsoft365ReportAddressedToTheFromIsMatchedByDeliveredTo() {
    confirmed("ann@example.org");

    ReportOutcome outcome =
        optIn.bounces().report(ReportMessages.microsoft365(lastVerp(), "ann@example.org"));

    assertEquals("5.1.10", assertInstanceOf(ReportOutcome.Undeliverable.class, outcome).status());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void markLastsUntilThePersonConfirmsAgain() {
    confirmed("ann@example.org");
    optIn.bounces().report(ReportMessages.postfix(lastVerp(), "ann@example.org"));
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));

    clock.advance(Duration.ofDays(1));
    confirmed("ann@example.org");

    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void softBouncesCountAndTheThirdWithinTheWindowMarks() {
    SubjectId ann = confirmed("ann@example.org");
    List<MailMessage> sent = mailer.sent();
    String confirmation = sent.get(0).returnPath().value();
    String receipt = sent.get(1).returnPath().value();

    ReportOutcome first =
        optIn.bounces().report(ReportMessages.postfixDelayed(receipt, "ann@example.org", "A1"));
    ReportOutcome again =
        optIn.bounces().report(ReportMessages.postfixDelayed(receipt, "ann@example.org", "A2"));
    assertEquals(1, assertInstanceOf(ReportOutcome.SoftBounce.class, first).count());
    assertEquals(1, ((ReportOutcome.SoftBounce) again).count(), "a mail counts once");
    clock.advance(Duration.ofDays(15));
    ReportOutcome late =
        optIn
            .bounces()
            .report(ReportMessages.postfixDelayed(confirmation, "ann@example.org", "A3"));
    assertEquals(1, ((ReportOutcome.SoftBounce) late).count(), "the first fell out of the window");
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));

    // Two more mails within 14 days of the last: the third counted bounce marks.
    String second = sendAnotherMail(ann);
    ReportOutcome two =
        optIn.bounces().report(ReportMessages.postfixDelayed(second, "ann@example.org", "A4"));
    assertEquals(2, ((ReportOutcome.SoftBounce) two).count());
    String third = sendAnotherMail(ann);
    ReportOutcome three =
        optIn.bounces().report(ReportMessages.postfixDelayed(third, "ann@example.org", "A5"));

    ReportOutcome.SoftBounce s = assertInstanceOf(ReportOutcome.SoftBounce.class, three);
    assertEquals(3, s.count());
    assertTrue(s.markedUndeliverable());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(lastEvent(ann).source().startsWith("3 temporary bounces within 14 days"));
  }

  @Test
  void eraseWhenSoftBouncesCountedThenTheirRowsGoWithTheSubject() {
    SubjectId ann = confirmed("ann@example.org");
    String receipt = mailer.sent().get(1).returnPath().value();
    assertInstanceOf(
        ReportOutcome.SoftBounce.class,
        optIn.bounces().report(ReportMessages.postfixDelayed(receipt, "ann@example.org", "A1")));
    assertEquals(1, softBounces(ann));

    assertTrue(optIn.rights().erase(ann, Channel.PREFERENCE_CENTER));

    assertEquals(
        0, softBounces(ann), "erasure leaves only the keyed hash, not 14 days of bounce rows");
  }

  private int softBounces(SubjectId id) {
    return store.read(tx -> tx.reports().countSoftBounces(id, Instant.EPOCH));
  }

  /** Has the library send one more mail to the subject (a receipt of their consents) and returns its VERP. */
  private String sendAnotherMail(SubjectId id) {
    int before = mailer.sent().size();
    assertTrue(optIn.rights().mailReceipt(id));
    optIn.operations().dispatchNow();
    assertEquals(before + 1, mailer.sent().size());
    return lastVerp();
  }

  @Test
  void abuseReportWithdrawsEveryPurposeWithTheReportAsEvidence() {
    SubjectId ann = confirmed("ann@example.org");

    ReportOutcome outcome =
        optIn.bounces().report(ReportMessages.arf(lastVerp(), "ann@example.org", "abuse"));

    ReportOutcome.Complaint c = assertInstanceOf(ReportOutcome.Complaint.class, outcome);
    assertEquals(Set.of(NEWSLETTER), c.withdrawn());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertEquals(ConsentState.WITHDRAWN, optIn.consents(ann).get(0).state());
    ConsentEvent e = lastEvent(ann);
    assertEquals(ConsentEvent.Type.WITHDRAWN, e.type());
    assertTrue(e.source().startsWith("complaint: ARF feedback-type=abuse sha256="), e.source());
  }

  @Test
  void notSpamFeedbackAsksForNothing() {
    confirmed("ann@example.org");
    assertInstanceOf(
        ReportOutcome.NothingToDo.class,
        optIn.bounces().report(ReportMessages.arf(lastVerp(), "ann@example.org", "not-spam")));
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void forgedVerpTagIsSetAsideAndChangesNothing() {
    confirmed("ann@example.org");
    String verp = lastVerp();
    int at = verp.indexOf('@');
    char last = verp.charAt(at - 1);
    String forged = verp.substring(0, at - 1) + (last == 'a' ? 'b' : 'a') + verp.substring(at);

    ReportOutcome outcome =
        optIn.bounces().report(ReportMessages.postfix(forged, "ann@example.org"));

    ReportOutcome.SetAside s = assertInstanceOf(ReportOutcome.SetAside.class, outcome);
    assertTrue(s.reason().contains("does not verify"), s.reason());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void malformedReportIsSetAsideWithReasonAndExcerptForTheOperator() {
    ReportOutcome outcome = optIn.bounces().report(ReportMessages.malformed());

    ReportOutcome.SetAside s = assertInstanceOf(ReportOutcome.SetAside.class, outcome);
    var kept = optIn.bounces().setAside(10);
    assertEquals(1, kept.size());
    assertEquals(s.id(), kept.get(0).id());
    assertEquals(s.reason(), kept.get(0).reason());
    assertTrue(kept.get(0).excerpt().contains("Subject: Re: Bread of the month"));
  }

  @Test
  void garbageIsSetAsideNeverThrown() {
    for (byte[] junk :
        List.of(
            new byte[0],
            new byte[] {0, 1, 2, (byte) 0xff},
            "Content-Type: multipart/report\r\n\r\n".getBytes())) {
      assertInstanceOf(ReportOutcome.SetAside.class, optIn.bounces().report(junk));
    }
  }

  @Test
  void setAsideReportsArePurgedAfterTheRetention() {
    optIn.bounces().report(ReportMessages.malformed());
    clock.advance(Duration.ofDays(31));
    assertEquals(1, optIn.bounces().purge());
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }

  @Test
  void withoutBounceAddressMailsKeepTheMailersSenderAndReportsAreSetAside() {
    RecordingMailer plain = new RecordingMailer();
    try (OptIn off = Fixtures.optIn(plain, clock)) {
      off.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, NEWSLETTER));
      off.operations().dispatchNow();
      assertEquals(null, plain.last().returnPath());
      assertInstanceOf(
          ReportOutcome.SetAside.class,
          off.bounces().report(ReportMessages.postfix("bounces+x@" + DOMAIN, "bob@example.org")));
    }
  }
}
