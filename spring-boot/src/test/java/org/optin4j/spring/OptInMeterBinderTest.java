package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConsentRequest;
import org.optin4j.Controller;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** The meters of a service that reports to the binder, read from a {@link SimpleMeterRegistry}. */
class OptInMeterBinderTest {
  private static final PurposeId NEWSLETTER = new PurposeId("newsletter");

  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final AtomicReference<OptIn> service = new AtomicReference<>();
  private final OptInMeterBinder binder = new OptInMeterBinder(service::get, Duration.ZERO, clock);
  private final MeterRegistry registry = new SimpleMeterRegistry();
  private final OptIn optIn =
      OptIn.builder()
          .baseUrl("https://shop.example/optin")
          .catalog(
              PurposeCatalog.fromJson(getClass().getResourceAsStream("/optin4j-purposes.json")))
          .controller(
              new Controller("Shop", "Shop Street 1", "privacy@shop.example", null)
                  .withSupervisoryAuthority(
                      "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
          .store(InMemoryConsentStore.create())
          .mailer(mailer)
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(new byte[32])
          .clock(clock)
          .metrics(binder)
          .build();

  OptInMeterBinderTest() {
    service.set(optIn);
    binder.bindTo(registry);
  }

  private double count(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  private String token(String page) {
    Matcher m =
        Pattern.compile("/optin/" + page + "\\?token=([A-Za-z0-9._~%-]+)")
            .matcher(mailer.last().text());
    assertThat(m.find()).isTrue();
    return java.net.URLDecoder.decode(m.group(1), java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void theFlowMovesEachCounterOnceWithBoundedTags() {
    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    assertThat(count("optin4j.signups", "outcome", "accepted")).isEqualTo(1);
    assertThat(count("optin4j.signups", "outcome", "throttled")).isEqualTo(1);
    assertThat(count("optin4j.mails.queued", "kind", "confirmation")).isEqualTo(1);
    assertThat(registry.get("optin4j.outbox.backlog").gauge().value()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(3));
    optIn.operations().dispatchNow();
    assertThat(count("optin4j.mails.sent", "kind", "confirmation")).isEqualTo(1);
    assertThat(registry.get("optin4j.mails.dispatch.latency").tags("kind", "confirmation").timer())
        .satisfies(t -> assertThat(t.count()).isEqualTo(1))
        .satisfies(
            t -> assertThat(t.totalTime(java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(3));
    assertThat(registry.get("optin4j.outbox.backlog").gauge().value()).isZero();

    optIn.confirm(token("confirm"), ConfirmationChoice.all(), Evidence.NONE);
    assertThat(
            count("optin4j.confirmations", "purpose", "newsletter", "channel", "confirmation_link"))
        .isEqualTo(1);
    optIn.operations().dispatchNow();
    String unsubscribe = mailer.last().headers().get("List-Unsubscribe");
    Matcher m = Pattern.compile("unsubscribe\\?token=([^>]+)>").matcher(unsubscribe);
    assertThat(m.find()).isTrue();
    optIn.unsubscribe(
        java.net.URLDecoder.decode(m.group(1), java.nio.charset.StandardCharsets.UTF_8),
        Channel.ONE_CLICK_UNSUBSCRIBE,
        Evidence.NONE);
    assertThat(count("optin4j.unsubscribes", "channel", "one_click_unsubscribe")).isEqualTo(1);
    assertThat(
            count(
                "optin4j.withdrawals", "purpose", "newsletter", "channel", "one_click_unsubscribe"))
        .isEqualTo(1);
    // The address is not a tag anywhere.
    for (Meter meter : registry.getMeters()) {
      for (Tag tag : meter.getId().getTags()) {
        assertThat(tag.getValue()).doesNotContain("@").doesNotContain("example.org");
      }
    }
  }

  @Test
  void failuresAndRetentionRunsAreCounted() {
    mailer.refuse("bob@example.org");
    optIn.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, NEWSLETTER));
    optIn.operations().dispatchNow();
    optIn.operations().purge();

    assertThat(count("optin4j.mails.failed", "kind", "confirmation", "failure", "permanent"))
        .isEqualTo(1);
    assertThat(registry.get("optin4j.outbox.failed").gauge().value()).isEqualTo(1);
    assertThat(registry.get("optin4j.purged").tags("result", "expired-requests").counter().count())
        .isZero();
    assertThat(
            registry
                .get("optin4j.outbox.oldest.due.age")
                .timeGauge()
                .value(java.util.concurrent.TimeUnit.SECONDS))
        .isZero();
  }

  @Test
  void outcomeTagsAreTheResultTypesInSnakeCase() {
    assertThat(OptInMeterBinder.outcome(new RequestResult.AlreadyConfirmed(null)))
        .isEqualTo("already_confirmed");
    assertThat(OptInMeterBinder.outcome(new RequestResult.StaleNotice())).isEqualTo("stale_notice");
    assertThat(OptInMeterBinder.outcome(new RequestResult.InvalidAddress("x")))
        .isEqualTo("invalid_address");
  }

  @Test
  void aGaugeWhoseStoreFailsHasNoValue() {
    OptInMeterBinder broken =
        new OptInMeterBinder(
            () -> {
              throw new IllegalStateException("store down");
            },
            Duration.ZERO,
            clock);
    MeterRegistry other = new SimpleMeterRegistry();
    broken.bindTo(other);
    assertThat(other.get("optin4j.outbox.backlog").gauge().value()).isNaN();
  }
}
