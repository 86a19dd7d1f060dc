package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The material version of a purpose in catalog files: {@code material-version} and {@code materialVersion}. */
class PurposeMaterialVersionFilesTest {
  private static final String PROPERTIES =
      "locales=en\npurposes=newsletter\n"
          + "purpose.newsletter.version=3\npurpose.newsletter.material-version=%s\n"
          + "purpose.newsletter.retention=until-withdrawn\npurpose.newsletter.proof-retention=P1Y\npurpose.newsletter.recipients=none\npurpose.newsletter.automated-decisions=none\n"
          + "purpose.newsletter.title.en=News\npurpose.newsletter.description.en=Monthly.\n"
          + "purpose.newsletter.data.en=Your address.\n";
  private static final String JSON =
      "{\"locales\":[\"en\"],\"purposes\":[{\"id\":\"newsletter\",\"version\":3,"
          + "\"materialVersion\":%s,\"retention\":\"until-withdrawn\",\"proofRetention\":\"P1Y\",\"recipients\":[],\"automatedDecisions\":\"none\",\"texts\":{\"en\":"
          + "{\"title\":\"News\",\"description\":\"Monthly.\",\"data\":\"Your address.\"}}}]}";

  private static ByteArrayInputStream in(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void catalogFilesThenMaterialVersionReadAndDefaultsToOne() {
    Purpose fromProperties =
        PurposeCatalog.fromProperties(in(String.format(PROPERTIES, "2")))
            .require(PurposeId.of("newsletter"));
    Purpose fromJson =
        PurposeCatalog.fromJson(in(String.format(JSON, "2"))).require(PurposeId.of("newsletter"));

    assertEquals(2, fromProperties.materialVersion());
    assertEquals(fromProperties, fromJson);
    assertEquals(
        1,
        PurposeCatalog.fromProperties(
                in(
                    String.format(PROPERTIES, "1")
                        .replace("purpose.newsletter.material-version=1\n", "")))
            .require(PurposeId.of("newsletter"))
            .materialVersion());
  }

  @Test
  void catalogFilesWhenMaterialVersionAboveVersionOrNotANumberThenRefused() {
    ConfigurationException tooHigh =
        assertThrows(
            ConfigurationException.class,
            () -> PurposeCatalog.fromJson(in(String.format(JSON, "4"))));
    assertTrue(tooHigh.getMessage().contains("materialVersion"), tooHigh.getMessage());
    ConfigurationException text =
        assertThrows(
            ConfigurationException.class,
            () -> PurposeCatalog.fromProperties(in(String.format(PROPERTIES, "two"))));
    assertTrue(text.getMessage().contains("material-version"), text.getMessage());
  }
}
