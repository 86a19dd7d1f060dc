package org.optin4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The bakery's purposes tested the way an app tests its own consent rules with optin4j-testing: no web server,
 * database or mail server, a clock the test moves, and the confirmation mail read from a recording mailer.
 */
class BakeryConsentTest {
  private static final PurposeId NEWSLETTER = PurposeId.of("newsletter");
  private static final PurposeId EVENTS = PurposeId.of("events");

  private final TestClock clock = TestClock.at("2026-09-01T08:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      OptIn.builder()
          .catalog(SampleApp.catalog())
          .controller(SampleApp.CONTROLLER)
          .store(InMemoryConsentStore.create())
          .mailer(mailer)
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(new byte[32])
          .baseUrl("https://goudenkorst.example/optin")
          .clock(clock)
          .build();
  private final OptInFlow flow = OptInFlow.of(optIn, mailer, clock);

  @AfterEach
  void close() {
    optIn.close();
  }

  @Test
  void confirmWhenDutchSignupForTheNewsletterThenMailedInDutchAndOnlyTheNewsletterMayBeSent() {
    flow.request(ConsentRequest.of("anna@example.org", Locale.forLanguageTag("nl"), NEWSLETTER));

    assertTrue(
        mailer.last().text().contains("Maandelijkse nieuwsbrief"),
        "the notice in the language of the form");
    assertFalse(optIn.mayMail("anna@example.org", NEWSLETTER), "not before the click on the link");

    flow.confirm("anna@example.org", Evidence.NONE);

    assertTrue(optIn.mayMail("anna@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("anna@example.org", EVENTS));
  }

  @Test
  void mayMailWhenTheEventsConsentIsAYearOldThenNoLongerWhileTheNewsletterStays() {
    flow.confirmed("anna@example.org", NEWSLETTER, EVENTS);

    clock.advance(Duration.ofDays(364));
    assertTrue(
        optIn.mayMail("anna@example.org", EVENTS), "events are kept for one year (purposes.json)");

    clock.advance(Duration.ofDays(2));
    assertFalse(
        optIn.mayMail("anna@example.org", EVENTS), "after a year the bakery must ask again");
    assertTrue(
        optIn.mayMail("anna@example.org", NEWSLETTER), "the newsletter runs until withdrawn");
  }

  @Test
  void confirmWhenTheLinkIsOlderThanTwoDaysThenExpiredAndNothingMayBeSent() {
    flow.request(ConsentRequest.of("anna@example.org", Locale.ENGLISH, NEWSLETTER));
    String token = mailer.link("anna@example.org", "confirm").token();

    clock.advance(Duration.ofHours(48).plusSeconds(1));

    assertInstanceOf(
        ConfirmationResult.Expired.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertFalse(optIn.mayMail("anna@example.org", NEWSLETTER));
  }

  @Test
  void dispatchWhenTheMailServerRefusesTheAddressThenNoConfirmationMailIsRecordedAsSent() {
    mailer.refuse("anna@example.org");

    flow.request(ConsentRequest.of("anna@example.org", Locale.ENGLISH, NEWSLETTER));

    assertEquals(1, mailer.attempts().size());
    assertTrue(mailer.sentTo("anna@example.org").isEmpty());
    assertFalse(optIn.mayMail("anna@example.org", NEWSLETTER));
  }
}
