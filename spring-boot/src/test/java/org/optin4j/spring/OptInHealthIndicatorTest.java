package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** The health indicator's three answers, on a test clock. */
class OptInHealthIndicatorTest {
  private static final PurposeId NEWSLETTER = new PurposeId("newsletter");
  private static final OptInMonitoringProperties SETTINGS =
      new OptInMonitoringProperties(Duration.ZERO, Duration.ofMinutes(15), Duration.ofMinutes(15));

  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();

  private OptIn optIn(ConsentStore store) {
    return OptIn.builder()
        .baseUrl("https://shop.example/optin")
        .catalog(PurposeCatalog.fromJson(getClass().getResourceAsStream("/optin4j-purposes.json")))
        .controller(
            new Controller("Shop", "Shop Street 1", "privacy@shop.example", null)
                .withSupervisoryAuthority(
                    "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
        .store(store)
        .mailer(mailer)
        .signingKeys(SigningKeys.generate("k1"))
        .suppressionPepper(new byte[32])
        .clock(clock)
        .build();
  }

  /** What Actuator would show, read without naming Actuator's types (they differ between Boot 4 and 3.5). */
  private record Seen(String status, Map<String, Object> details) {}

  private Seen health(OptIn optIn, ConsentStore store) {
    var health = new OptInHealthIndicator(optIn, store, SETTINGS, clock).health();
    return new Seen(health.getStatus().getCode(), health.getDetails());
  }

  @Test
  void upWhileTheDispatcherKeepsUp() {
    ConsentStore store = InMemoryConsentStore.create();
    OptIn optIn = optIn(store);
    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    assertThat(health(optIn, store).status()).isEqualTo("UP"); // not looked yet: unknown
    assertThat(health(optIn, store).details())
        .containsEntry("outboxBacklog", 1L)
        .containsEntry("outboxOldestDueAge", "unknown");

    optIn.operations().dispatchNow();
    clock.advance(Duration.ofMinutes(1));
    Seen h = health(optIn, store);
    assertThat(h.status()).isEqualTo("UP");
    assertThat(h.details())
        .containsEntry("store", "memory")
        .containsEntry("outboxBacklog", 0L)
        .containsEntry("outboxOldestDueAge", "PT1M");
    assertThat(h.details().toString()).doesNotContain("@");
  }

  @Test
  void outOfServiceWhenTheOutboxIsStuck() {
    ConsentStore store = InMemoryConsentStore.create();
    OptIn optIn = optIn(store);
    optIn.operations().dispatchNow(); // looks once, then nothing dispatches any more
    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    clock.advance(Duration.ofMinutes(16));

    Seen h = health(optIn, store);
    assertThat(h.status()).isEqualTo("OUT_OF_SERVICE");
    assertThat(h.details()).containsEntry("stuck", true).containsEntry("failing", false);
  }

  @Test
  void outOfServiceWhenTheLastAnswerWasAPermanentFailure() {
    ConsentStore store = InMemoryConsentStore.create();
    OptIn optIn = optIn(store);
    mailer.refuse("bob@example.org");
    optIn.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, NEWSLETTER));
    optIn.operations().dispatchNow();

    Seen h = health(optIn, store);
    assertThat(h.status()).isEqualTo("OUT_OF_SERVICE");
    assertThat(h.details())
        .containsEntry("failing", true)
        .containsEntry("stuck", false)
        .containsEntry("outboxFailed", 1L);
  }

  @Test
  void downWhenTheStoreDoesNotAnswer() {
    ConsentStore down =
        new ConsentStore() {
          @Override
          public <T> T inTransaction(Function<Transaction, T> work) {
            throw new StoreException("connection refused to db.internal:5432 as ann@example.org");
          }
        };
    Seen h = health(optIn(down), down);
    assertThat(h.status()).isEqualTo("DOWN");
    assertThat(h.details()).containsEntry("error", StoreException.class.getName());
    assertThat(h.details().toString()).doesNotContain("@").doesNotContain("db.internal");
  }
}
