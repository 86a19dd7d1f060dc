package org.optin4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfirmationResult;
import org.optin4j.Consent;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.Controller;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;

class OptInFlowTest {
  private static final PurposeId NEWSLETTER = PurposeId.of("newsletter");
  private static final PurposeId ORDER_UPDATES = PurposeId.of("order-updates");
  private static final Instant START = Instant.parse("2026-03-02T10:00:00Z");

  private final TestClock clock = TestClock.at(START);
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      OptIn.builder()
          .catalog(catalog())
          .controller(
              new Controller("Shop B.V.", "Street 1, Town", "privacy@shop.example", null)
                  .withSupervisoryAuthority(
                      "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
          .store(InMemoryConsentStore.create())
          .mailer(mailer)
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(new byte[32])
          .baseUrl("https://shop.example/optin")
          .clock(clock)
          .build();

  private static PurposeCatalog catalog() {
    try (InputStream in = OptInFlowTest.class.getResourceAsStream("purposes.json")) {
      return PurposeCatalog.fromJson(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @AfterEach
  void close() {
    optIn.close();
  }

  @Test
  void confirmedThenConsentConfirmedAndTheConfirmationAndReceiptMailed() {
    SubjectId ann = OptInFlow.of(optIn, mailer).confirmed("ann@example.org", NEWSLETTER);

    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertEquals(ann, optIn.findSubject("ann@example.org").orElseThrow().id());
    assertEquals(
        2, mailer.sentTo("ann@example.org").size(), "the confirmation mail, then the receipt");
    assertEquals(START, clock.peek(), "no time passes unless asked");
  }

  @Test
  void confirmedWhenReadingTimeAndPauseThenTheClickHappensLaterAndTheClockMovesOnAfterIt() {
    OptInFlow flow =
        OptInFlow.of(optIn, mailer, clock)
            .readingTime(Duration.ofMinutes(7))
            .pauseAfterwards(Duration.ofMinutes(5));

    SubjectId ann =
        flow.confirmed(
            ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                .withEvidence(Evidence.of("203.0.113.9", "Firefox")),
            Evidence.NONE);

    Consent consent =
        optIn.consents(ann).stream()
            .filter(c -> c.purpose().equals(NEWSLETTER))
            .findFirst()
            .orElseThrow();
    assertEquals(ConsentState.CONFIRMED, consent.state());
    assertEquals(START.plus(Duration.ofMinutes(7)), consent.confirmedAt());
    assertEquals(START.plus(Duration.ofMinutes(12)), clock.peek());
  }

  @Test
  void confirmedWhenNothingNeedsConfirmingThenNoLinkIsLookedFor() {
    SubjectId ann = OptInFlow.of(optIn, mailer).confirmed("ann@example.org", ORDER_UPDATES);

    assertTrue(optIn.mayMail("ann@example.org", ORDER_UPDATES));
    assertEquals(ann, optIn.findSubject("ann@example.org").orElseThrow().id());
  }

  @Test
  void requestThenConfirmationMailSentAtOnceAndNothingConfirmedYet() {
    RequestResult.Accepted accepted =
        OptInFlow.of(optIn, mailer)
            .request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));

    assertEquals(java.util.Set.of(NEWSLETTER), accepted.pending());
    assertTrue(mailer.link("ann@example.org", "confirm").token().length() > 20);
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void requestWhenNotAcceptedThenTheTestFailsSayingSo() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () ->
                OptInFlow.of(optIn, mailer)
                    .request(
                        ConsentRequest.of(
                            "jos\u00e9@example.org",
                            Locale.ENGLISH,
                            NEWSLETTER))); // no SMTPUTF8: refused

    assertTrue(e.getMessage().startsWith("the consent request was not accepted"), e.getMessage());
  }

  @Test
  void confirmWhenLinkUsedAlreadyThenTheTestFailsSayingSo() {
    OptInFlow flow = OptInFlow.of(optIn, mailer);
    flow.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    ConfirmationResult.Confirmed first = flow.confirm("ann@example.org", Evidence.NONE);

    AssertionError e =
        assertThrows(AssertionError.class, () -> flow.confirm("ann@example.org", Evidence.NONE));

    assertEquals(1, first.confirmed().size());
    assertTrue(e.getMessage().startsWith("the confirmation link did not confirm"), e.getMessage());
  }

  @Test
  void confirmWhenNoMailToTheAddressThenTheTestFailsSayingSo() {
    assertThrows(
        AssertionError.class,
        () -> OptInFlow.of(optIn, mailer).confirm("bob@example.org", Evidence.NONE));
  }

  @Test
  void readingTimeWhenNoClockThenRefusedNamingTheFix() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> OptInFlow.of(optIn, mailer).readingTime(Duration.ofMinutes(1)));

    assertEquals(
        "readingTime needs a clock to move: OptInFlow.of(optIn, mailer, clock)", e.getMessage());
  }

  @Test
  void pauseAfterwardsWhenNegativeThenRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> OptInFlow.of(optIn, mailer, clock).pauseAfterwards(Duration.ofMinutes(-1)));
  }
}
