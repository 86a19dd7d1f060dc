package org.optin4j.internal;

import java.text.NumberFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.Retention;
import org.optin4j.text.TextBundle;

/**
 * Renders the canonical text of a notice (GDPR Art. 13): controller, per purpose why, which data and how long, the
 * right to withdraw, and contact. The text is what gets hashed and stored as proof, so the rendering is deterministic:
 * the same catalog, controller and purposes give the same bytes.
 *
 * <p>Immutable and thread-safe.
 */
public final class NoticeRenderer {
  private final PurposeCatalog catalog;
  private final Controller controller;

  /** The notice frame (labels, withdrawal sentence) in every shipped language. */
  private final TextBundle texts;

  /**
   * Creates a renderer.
   *
   * @param catalog the purposes
   * @param controller the controller
   * @throws ConfigurationException if the catalog has a language the notice frame does not exist in
   */
  public NoticeRenderer(PurposeCatalog catalog, Controller controller) {
    this.catalog = catalog;
    this.controller = controller;
    for (Locale l : catalog.locales()) {
      if (!TextBundle.LANGUAGES.contains(l.getLanguage())) {
        throw new ConfigurationException(
            "purpose catalog locale "
                + l.toLanguageTag()
                + " has no notice texts; supported: "
                + String.join(", ", new TreeSet<>(TextBundle.LANGUAGES)));
      }
    }
    this.texts =
        TextBundle.shipped(
            "notice text", "org.optin4j.internal.notice", NoticeRenderer.class.getClassLoader());
  }

  /**
   * Renders the notice for purposes in a language.
   *
   * @param purposes the purposes; rendered in catalog order
   * @param locale a language of the catalog
   * @return the exact text
   */
  public String render(Collection<PurposeId> purposes, Locale locale) {
    StringBuilder out = new StringBuilder();
    out.append(
            texts.text(
                locale,
                "intro",
                Map.of("controller", controller.name(), "address", controller.address())))
        .append("\n\n");
    int n = 0;
    for (Purpose p : ordered(purposes)) {
      PurposeText t =
          p.text(locale)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "purpose " + p.id() + " has no text for " + locale));
      n++;
      out.append(n).append(". ").append(t.title()).append('\n');
      out.append("   ")
          .append(texts.text(locale, "why"))
          .append(' ')
          .append(t.description())
          .append('\n');
      out.append("   ")
          .append(texts.text(locale, "data"))
          .append(' ')
          .append(t.data())
          .append('\n');
      out.append("   ")
          .append(texts.text(locale, "retention"))
          .append(' ')
          .append(describe(p.retention(), locale))
          .append('\n');
      Duration proof = p.retention().proofRetention();
      if (!proof.isZero()) {
        out.append("   ")
            .append(texts.text(locale, "proof", Map.of("period", duration(locale, proof))))
            .append('\n');
      }
      out.append('\n');
    }
    out.append(texts.text(locale, "withdraw")).append('\n');
    out.append(texts.text(locale, "confirm")).append('\n');
    out.append(texts.text(locale, "contact", Map.of("contact", controller.contactEmail())))
        .append('\n');
    if (controller.privacyPolicyUrl() != null) {
      out.append(texts.text(locale, "policy", Map.of("url", controller.privacyPolicyUrl())))
          .append('\n');
    }
    return out.toString();
  }

  /**
   * Returns the purposes in catalog order.
   *
   * @param ids the purposes
   * @return them in the order the catalog lists them
   * @throws IllegalArgumentException if one is unknown
   */
  public List<Purpose> ordered(Collection<PurposeId> ids) {
    for (PurposeId id : ids) {
      catalog.require(id);
    }
    List<Purpose> out = new ArrayList<>();
    for (Purpose p : catalog.purposes()) {
      if (ids.contains(p.id())) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * Describes a retention in words, for example "until you withdraw your consent" or "2 years after you confirm".
   *
   * @param retention the retention
   * @param locale the language
   * @return the words
   */
  public String describe(Retention retention, Locale locale) {
    if (retention instanceof Retention.Fixed f) {
      return texts.text(locale, "retention.fixed", Map.of("period", duration(locale, f.period())));
    }
    return texts.text(locale, "retention.until-withdrawn");
  }

  private String duration(Locale locale, Duration d) {
    long days = d.toDays();
    if (days >= 365 && days % 365 == 0) {
      return count(locale, "unit.years", days / 365);
    }
    if (days >= 30 && days % 30 == 0) {
      return count(locale, "unit.months", days / 30);
    }
    if (days >= 1 && d.equals(Duration.ofDays(days))) {
      return count(locale, "unit.days", days);
    }
    return count(locale, "unit.hours", Math.max(1, d.toHours()));
  }

  /** "1 year" or "3 years": {@code unit.one} for one, {@code unit.other} with the number in the locale's digits. */
  private String count(Locale locale, String unit, long n) {
    if (n <= 1) {
      return texts.text(locale, unit + ".one");
    }
    return texts.text(
        locale, unit + ".other", Map.of("count", NumberFormat.getInstance(locale).format(n)));
  }
}
