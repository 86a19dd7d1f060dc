package org.optin4j.internal;

import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;
import java.util.Set;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.Retention;

/**
 * Renders the canonical text of a notice (GDPR Art. 13): controller, per purpose why, which data and how long, the
 * right to withdraw, and contact. The text is what gets hashed and stored as proof, so the rendering is deterministic:
 * the same catalog, controller and purposes give the same bytes.
 *
 * <p>Immutable and thread-safe.
 */
public final class NoticeRenderer {
  /** The languages the notice frame (labels, withdrawal sentence) exists in. */
  public static final Set<String> LANGUAGES = Set.of("en", "nl", "de", "fr");

  private final PurposeCatalog catalog;
  private final Controller controller;

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
      if (!LANGUAGES.contains(l.getLanguage())) {
        throw new ConfigurationException("purpose catalog locale " + l.toLanguageTag()
            + " has no notice texts; supported: " + String.join(", ", new java.util.TreeSet<>(LANGUAGES)));
      }
    }
  }

  /**
   * Renders the notice for purposes in a language.
   *
   * @param purposes the purposes; rendered in catalog order
   * @param locale a language of the catalog
   * @return the exact text
   */
  public String render(Collection<PurposeId> purposes, Locale locale) {
    ResourceBundle b = bundle(locale);
    StringBuilder out = new StringBuilder();
    out.append(format(b, "intro", locale, controller.name(), controller.address())).append("\n\n");
    int n = 0;
    for (Purpose p : ordered(purposes)) {
      PurposeText t = p.text(locale).orElseThrow(
          () -> new IllegalArgumentException("purpose " + p.id() + " has no text for " + locale));
      n++;
      out.append(n).append(". ").append(t.title()).append('\n');
      out.append("   ").append(b.getString("why")).append(' ').append(t.description()).append('\n');
      out.append("   ").append(b.getString("data")).append(' ').append(t.data()).append('\n');
      out.append("   ").append(b.getString("retention")).append(' ').append(retention(b, locale, p.retention()))
          .append('\n');
      Duration proof = p.retention().proofRetention();
      if (!proof.isZero()) {
        out.append("   ").append(format(b, "proof", locale, duration(b, locale, proof))).append('\n');
      }
      out.append('\n');
    }
    out.append(b.getString("withdraw")).append('\n');
    out.append(b.getString("confirm")).append('\n');
    out.append(format(b, "contact", locale, controller.contactEmail())).append('\n');
    if (controller.privacyPolicyUrl() != null) {
      out.append(format(b, "policy", locale, controller.privacyPolicyUrl())).append('\n');
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
    return retention(bundle(locale), locale, retention);
  }

  private static String retention(ResourceBundle b, Locale locale, Retention r) {
    if (r instanceof Retention.Fixed f) {
      return format(b, "retention.fixed", locale, duration(b, locale, f.period()));
    }
    return b.getString("retention.until-withdrawn");
  }

  private static String duration(ResourceBundle b, Locale locale, Duration d) {
    long days = d.toDays();
    if (days >= 365 && days % 365 == 0) {
      return format(b, "unit.years", locale, days / 365);
    }
    if (days >= 30 && days % 30 == 0) {
      return format(b, "unit.months", locale, days / 30);
    }
    if (days >= 1 && d.equals(Duration.ofDays(days))) {
      return format(b, "unit.days", locale, days);
    }
    return format(b, "unit.hours", locale, Math.max(1, d.toHours()));
  }

  private static String format(ResourceBundle b, String key, Locale locale, Object... args) {
    return new MessageFormat(b.getString(key), locale).format(args);
  }

  private static ResourceBundle bundle(Locale locale) {
    try {
      return ResourceBundle.getBundle("org.optin4j.internal.notice", locale,
          NoticeRenderer.class.getClassLoader(),
          ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
    } catch (MissingResourceException e) {
      throw new IllegalStateException("notice texts missing from the jar", e);
    }
  }
}
