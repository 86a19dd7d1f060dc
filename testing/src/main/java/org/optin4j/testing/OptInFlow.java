package org.optin4j.testing;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;

/**
 * Walks a person through the double opt-in of one {@link OptIn}, the way they would: the signup request, the
 * confirmation mail (read from a {@link RecordingMailer}), the click on its link; so that a test which needs a
 * subject with confirmed consent gets one in one line. The consent it produces is the real thing, recorded with its
 * notice, evidence and history, as GDPR Art. 7(1) requires of consent the controller relies on.
 *
 * <pre>{@code
 * SubjectId ann = OptInFlow.of(optIn, mailer).confirmed("ann@example.org", NEWSLETTER);
 * }</pre>
 *
 * <p>Each step sends the queued mails at once ({@code optIn.operations().dispatchNow()}), so the mailer holds the
 * confirmation mail after {@link #request} and the receipt after {@link #confirm}. With a {@link TestClock}, the flow
 * can also let time pass: {@link #readingTime(Duration)} between the mail and the click, {@link #pauseAfterwards}
 * after it, so that the next event of the test happens later.
 *
 * <p>A step whose outcome is not the expected one fails the test with a JUnit assertion error naming what came
 * instead. The mailer must be the one the {@code OptIn} sends through (or one it forwards to).
 *
 * <p>Immutable; as thread-safe as the {@code OptIn} and the mailer it uses.
 */
public final class OptInFlow {
  private final OptIn optIn;
  private final RecordingMailer mailer;
  private final TestClock clock;
  private final Duration readingTime;
  private final Duration pauseAfterwards;

  private OptInFlow(
      OptIn optIn,
      RecordingMailer mailer,
      TestClock clock,
      Duration readingTime,
      Duration pauseAfterwards) {
    this.optIn = optIn;
    this.mailer = mailer;
    this.clock = clock;
    this.readingTime = readingTime;
    this.pauseAfterwards = pauseAfterwards;
  }

  /**
   * A flow in which no time passes.
   *
   * @param optIn the service under test
   * @param mailer the mailer it sends through
   * @return the flow
   */
  public static OptInFlow of(OptIn optIn, RecordingMailer mailer) {
    return new OptInFlow(
        Objects.requireNonNull(optIn, "optIn"),
        Objects.requireNonNull(mailer, "mailer"),
        null,
        Duration.ZERO,
        Duration.ZERO);
  }

  /**
   * A flow that can let time pass on the clock the {@code OptIn} reads.
   *
   * @param optIn the service under test
   * @param mailer the mailer it sends through
   * @param clock the clock it reads
   * @return the flow
   */
  public static OptInFlow of(OptIn optIn, RecordingMailer mailer, TestClock clock) {
    return new OptInFlow(
        Objects.requireNonNull(optIn, "optIn"),
        Objects.requireNonNull(mailer, "mailer"),
        Objects.requireNonNull(clock, "clock"),
        Duration.ZERO,
        Duration.ZERO);
  }

  /**
   * This flow, with the person taking {@code time} to read the confirmation mail before clicking its link.
   *
   * @param time how long, zero or more
   * @return the flow
   * @throws IllegalStateException if the flow has no clock
   */
  public OptInFlow readingTime(Duration time) {
    return new OptInFlow(optIn, mailer, clock, pause("readingTime", time), pauseAfterwards);
  }

  /**
   * This flow, with {@code time} passing after each confirmation.
   *
   * @param time how long, zero or more
   * @return the flow
   * @throws IllegalStateException if the flow has no clock
   */
  public OptInFlow pauseAfterwards(Duration time) {
    return new OptInFlow(optIn, mailer, clock, readingTime, pause("pauseAfterwards", time));
  }

  private Duration pause(String setting, Duration time) {
    Objects.requireNonNull(time, setting);
    if (clock == null) {
      throw new IllegalStateException(
          setting + " needs a clock to move: OptInFlow.of(optIn, mailer, clock)");
    }
    if (time.isNegative()) {
      throw new IllegalArgumentException(setting + " must not be negative, was " + time);
    }
    return time;
  }

  /**
   * Signs a person up and confirms with every purpose they ticked: a request in English with no source and no
   * evidence, then the click on the link with no evidence.
   *
   * @param email the address as typed
   * @param purposes the purposes, at least one
   * @return the subject
   */
  public SubjectId confirmed(String email, PurposeId... purposes) {
    return confirmed(ConsentRequest.of(email, Locale.ENGLISH, purposes), Evidence.NONE);
  }

  /**
   * Makes a request and confirms it with every purpose it asks for; a request with nothing left to confirm (no
   * purpose pending) ends after the request.
   *
   * @param request the request, as a signup form would make it
   * @param confirmation the evidence of the click on the confirmation link
   * @return the subject
   */
  public SubjectId confirmed(ConsentRequest request, Evidence confirmation) {
    RequestResult.Accepted accepted = request(request);
    if (!accepted.pending().isEmpty()) {
      confirm(request.email().value(), confirmation);
    }
    return accepted.subjectId();
  }

  /**
   * Makes a request and sends the mails it queued.
   *
   * @param request the request
   * @return the accepted request
   * @throws AssertionError if the request was not accepted
   */
  public RequestResult.Accepted request(ConsentRequest request) {
    RequestResult result = optIn.request(Objects.requireNonNull(request, "request"));
    RequestResult.Accepted accepted =
        assertInstanceOf(
            RequestResult.Accepted.class, result, "the consent request was not accepted");
    optIn.operations().dispatchNow();
    return accepted;
  }

  /**
   * Clicks the confirmation link of the newest mail to an address that has one, keeping every purpose ticked, and
   * sends the mails that queued (the receipt). The reading time passes first, the pause afterwards.
   *
   * @param email the address the mail went to, in any form the request took
   * @param evidence the evidence of the click
   * @return the confirmation
   * @throws AssertionError if there is no such link, or the confirmation did not confirm
   */
  public ConfirmationResult.Confirmed confirm(String email, Evidence evidence) {
    Objects.requireNonNull(evidence, "evidence");
    String token = mailer.link(email, "confirm").token();
    advance(readingTime);
    ConfirmationResult result = optIn.confirm(token, ConfirmationChoice.all(), evidence);
    ConfirmationResult.Confirmed confirmed =
        assertInstanceOf(
            ConfirmationResult.Confirmed.class, result, "the confirmation link did not confirm");
    optIn.operations().dispatchNow();
    advance(pauseAfterwards);
    return confirmed;
  }

  private void advance(Duration time) {
    if (!time.isZero()) {
      clock.advance(time);
    }
  }
}
