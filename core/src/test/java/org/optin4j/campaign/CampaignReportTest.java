package org.optin4j.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.optin4j.PurposeId;
import org.optin4j.mail.SendingRate;

class CampaignReportTest {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private static final Campaign CAMPAIGN =
      new Campaign("c-1", new PurposeId("newsletter"), "Issue 1", "Hello", null, NOW);

  private static CampaignReport waiting(int mails) {
    return new CampaignReport(CAMPAIGN, mails, 10, 0, 0);
  }

  @Test
  void estimatedFinishWhenRatePerSecondThenWaitingDividedByRate() {
    assertEquals(
        Optional.of(NOW.plusSeconds(50)),
        waiting(1000).estimatedFinish(SendingRate.perSecond(20).sustainedPerSecond(), NOW));
  }

  @Test
  void timeToFinishWhenHourCapIsTighterThenTheCapSetsThePace() {
    SendingRate rate = SendingRate.perSecond(100).withPerHour(3600);

    assertEquals(
        Optional.of(Duration.ofSeconds(7200)),
        waiting(7200).timeToFinish(rate.sustainedPerSecond()));
  }

  @Test
  void timeToFinishRoundsUpToTheSecond() {
    assertEquals(Optional.of(Duration.ofSeconds(1)), waiting(3).timeToFinish(20));
  }

  @Test
  void timeToFinishWhenUnlimitedThenUnknownUnlessNothingWaits() {
    double unlimited = SendingRate.unlimited().sustainedPerSecond();
    assertEquals(Optional.empty(), waiting(5).timeToFinish(unlimited));
    assertEquals(Optional.of(Duration.ZERO), waiting(0).timeToFinish(unlimited));
  }
}
