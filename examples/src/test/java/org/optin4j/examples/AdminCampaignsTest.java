package org.optin4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.optin4j.PurposeId;
import org.optin4j.campaign.Campaign;
import org.optin4j.campaign.CampaignReport;

/** The campaigns card's finish estimate at a limited, an unlimited rate and when nothing waits. */
class AdminCampaignsTest {
  private static final Instant NOW = Instant.parse("2026-12-03T10:00:00Z");
  private static final Campaign CAMPAIGN =
      new Campaign("c1", PurposeId.of("newsletter"), "Rye", "Rye is back.", null, NOW);

  @Test
  void finishWhenRateLimitedThenTimeAndSpan() {
    CampaignReport r = new CampaignReport(CAMPAIGN, 7200, 0, 0, 0);
    assertEquals("2026-12-03 12:00:00 UTC (in 2 h 0 min)", AdminCampaigns.finish(r, 1.0, NOW));
  }

  @Test
  void finishWhenUnlimitedThenTheServerSetsThePace() {
    CampaignReport r = new CampaignReport(CAMPAIGN, 5, 0, 0, 0);
    assertEquals(
        "as fast as the server takes them",
        AdminCampaigns.finish(r, Double.POSITIVE_INFINITY, NOW));
  }

  @Test
  void finishWhenNothingWaitsThenFinished() {
    CampaignReport r = new CampaignReport(CAMPAIGN, 0, 3, 1, 0);
    assertEquals("finished", AdminCampaigns.finish(r, 14.0, NOW));
  }
}
