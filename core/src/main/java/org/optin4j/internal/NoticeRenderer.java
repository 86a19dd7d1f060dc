package org.optin4j.internal;

import java.text.NumberFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.LegalBasis;
import org.optin4j.Notice;
import org.optin4j.NoticeLayers;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.Recipient;
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
   * The information page's text per language of the catalog, rendered once: every notice names its hash, and the
   * catalog and controller of a renderer never change.
   */
  private final Map<Locale, String> information;

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
    Map<Locale, String> info = new java.util.HashMap<>();
    for (Locale l : catalog.locales()) {
      info.put(l, buildInformation(l));
    }
    this.information = Map.copyOf(info);
  }

  /**
   * Renders the notice for purposes in a language, in two layers (Art. 29 WP 260 rev.01, "layered approach"): first
   * the short layer (an introduction; per purpose its title, which data, why and how long; one line naming the
   * controller and pointing to the full information), then, after the line {@link #moreHeading(Locale)}, the rest of
   * what GDPR Art. 13 asks at the point of choice (per purpose the legal basis, recipients and transfers and how long
   * proof is kept; the right to withdraw, the other rights, where to complain, the data protection officer, contact,
   * that consent is not obligatory). Both layers are one text: the hash covers both, as both are shown (the second
   * expandable in place).
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
    List<Purpose> ordered = ordered(purposes);
    int n = 0;
    for (Purpose p : ordered) {
      PurposeText t = text(p, locale);
      n++;
      out.append(n).append(". ").append(t.title()).append('\n');
      line(out, texts.text(locale, "data") + ' ' + t.data());
      line(out, texts.text(locale, "why") + ' ' + t.description());
      line(out, texts.text(locale, "retention") + ' ' + describe(p.retention(), locale));
      out.append('\n');
    }
    out.append(summary(locale)).append("\n\n");
    out.append(moreHeading(locale)).append("\n\n");
    n = 0;
    for (Purpose p : ordered) {
      n++;
      out.append(n).append(". ").append(text(p, locale).title()).append('\n');
      details(out, p, locale);
      out.append('\n');
    }
    closing(out, locale);
    // Which full information the summary's link opened: the proof of this notice can then show it
    // (stored with it).
    out.append(texts.text(locale, "info.shown", Map.of("hash", informationHash(locale))))
        .append('\n');
    out.append(texts.text(locale, "confirm")).append('\n');
    return out.toString();
  }

  /**
   * Returns the SHA-256 of the information page in a language, as named in the notices of that language.
   *
   * @param locale a language of the catalog
   * @return the hash, lowercase hex
   */
  public String informationHash(Locale locale) {
    return org.optin4j.Notice.sha256(renderInformation(locale));
  }

  /**
   * Finds the hash of the information page a notice names, if it names one (notices rendered before information
   * pages were stored do not).
   *
   * @param notice a notice
   * @return the hash, or empty
   */
  public Optional<String> linkedInformationHash(org.optin4j.Notice notice) {
    if (notice.isInformationPage()
        || !TextBundle.LANGUAGES.contains(notice.locale().getLanguage())) {
      return Optional.empty();
    }
    String template = texts.text(notice.locale(), "info.shown", Map.of("hash", "\u0000"));
    String before = template.substring(0, template.indexOf('\u0000'));
    String after = template.substring(template.indexOf('\u0000') + 1);
    for (String line : notice.text().split("\n")) {
      if (line.startsWith(before) && line.endsWith(after)) {
        String hash = line.substring(before.length(), line.length() - after.length());
        if (hash.matches("[0-9a-f]{64}")) {
          return Optional.of(hash);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Returns the line that starts the second layer of a notice: text before it is the short layer.
   *
   * @param locale the language
   * @return the heading, for example "More information"
   */
  public String moreHeading(Locale locale) {
    return texts.text(locale, "more");
  }

  /**
   * Cuts a notice rendered by {@link #render} into its layers.
   *
   * @param notice a notice
   * @return its layers, or empty if its text is not in the layered form (a notice stored by an earlier version)
   */
  public Optional<NoticeLayers> layers(Notice notice) {
    String[] blocks = notice.text().split("\n\n", -1);
    int n = notice.purposes().size();
    if (blocks.length < n + 4
        || !TextBundle.LANGUAGES.contains(notice.locale().getLanguage())
        || !blocks[n + 2].equals(moreHeading(notice.locale()))) {
      return Optional.empty();
    }
    List<String> purposes = List.of(blocks).subList(1, n + 1);
    String details = String.join("\n\n", List.of(blocks).subList(n + 3, blocks.length));
    String link = texts.text(notice.locale(), "summary.link");
    String summary = blocks[n + 1];
    String policy = controller.privacyPolicyUrl();
    NoticeLayers layers =
        new NoticeLayers(
            blocks[0],
            purposes,
            summary,
            summary.contains(link) ? link : null,
            policy != null && summary.contains(policy) ? policy : null,
            blocks[n + 2],
            details);
    // The layers must show every character of the text the hash covers, no more and no less.
    return layers.text().equals(notice.text()) ? Optional.of(layers) : Optional.empty();
  }

  /**
   * Renders the information page (GDPR Art. 13(1) and (2), all of it, for every purpose of the catalog): controller
   * and contact, data protection officer, per purpose what, why, on which basis, which data, recipients and
   * transfers, how long; the rights, withdrawal, where to complain, that consent is not obligatory, the privacy
   * policy. Deterministic like a notice, so it is hashed and versioned the same way.
   *
   * @param locale a language of the catalog
   * @return the exact text
   */
  public String renderInformation(Locale locale) {
    String known = information.get(locale);
    return known != null ? known : buildInformation(locale);
  }

  private String buildInformation(Locale locale) {
    StringBuilder out = new StringBuilder();
    out.append(texts.text(locale, "info.title")).append("\n\n");
    out.append(
            texts.text(
                locale,
                "info.controller",
                Map.of(
                    "controller",
                    controller.name(),
                    "address",
                    controller.address(),
                    "contact",
                    controller.contactEmail())))
        .append('\n');
    if (controller.dpoContact() != null) {
      out.append(texts.text(locale, "dpo", Map.of("dpo", controller.dpoContact()))).append('\n');
    }
    out.append('\n').append(texts.text(locale, "info.purposes")).append("\n\n");
    int n = 0;
    for (Purpose p : catalog.purposes()) {
      PurposeText t = text(p, locale);
      n++;
      out.append(n).append(". ").append(t.title()).append('\n');
      line(out, texts.text(locale, "info.purpose") + ' ' + t.description());
      line(out, texts.text(locale, "data") + ' ' + t.data());
      line(out, texts.text(locale, "retention") + ' ' + describe(p.retention(), locale));
      details(out, p, locale);
      out.append('\n');
    }
    closing(out, locale);
    if (controller.privacyPolicyUrl() != null) {
      out.append(texts.text(locale, "policy", Map.of("url", controller.privacyPolicyUrl())))
          .append('\n');
    }
    return out.toString();
  }

  /** The line under the short layer: who the controller is, and where the full information is. */
  private String summary(Locale locale) {
    String line =
        texts.text(
            locale,
            "summary",
            Map.of("controller", controller.name(), "link", texts.text(locale, "summary.link")));
    if (controller.privacyPolicyUrl() == null) {
      return line;
    }
    return line + ' ' + texts.text(locale, "policy", Map.of("url", controller.privacyPolicyUrl()));
  }

  /**
   * Legal basis, recipients and transfers, automated decisions, and how long proof is kept (Art. 13(1)(c), (e), (f);
   * 13(2)(f); Art. 7(1)).
   */
  private void details(StringBuilder out, Purpose p, Locale locale) {
    line(
        out,
        texts.text(locale, "legal-basis")
            + ' '
            + texts.text(
                locale,
                p.legalBasis() == LegalBasis.EXPLICIT_CONSENT
                    ? "legal-basis.explicit-consent"
                    : "legal-basis.consent"));
    line(out, texts.text(locale, "recipients") + ' ' + recipients(p, locale));
    line(
        out,
        texts.text(locale, "automated")
            + ' '
            + p.automatedDecisions(locale).orElseGet(() -> texts.text(locale, "automated.none")));
    Duration proof = p.retention().proofRetention();
    if (!proof.isZero()) {
      line(out, texts.text(locale, "proof", Map.of("period", duration(locale, proof))));
    }
  }

  /** Withdrawal, rights, complaint, officer, contact, no obligation (Art. 13(1)(a)-(b), 13(2)(b)-(e)). */
  private void closing(StringBuilder out, Locale locale) {
    out.append(texts.text(locale, "withdraw")).append('\n');
    out.append(texts.text(locale, "rights")).append('\n');
    Controller.SupervisoryAuthority authority = controller.supervisoryAuthority();
    if (authority != null) {
      out.append(
              texts.text(
                  locale,
                  "complaint",
                  Map.of("authority", authority.name(), "url", authority.url())))
          .append('\n');
    }
    if (controller.dpoContact() != null) {
      out.append(texts.text(locale, "dpo", Map.of("dpo", controller.dpoContact()))).append('\n');
    }
    out.append(texts.text(locale, "contact", Map.of("contact", controller.contactEmail())))
        .append('\n');
    out.append(texts.text(locale, "obligation")).append('\n');
  }

  private String recipients(Purpose p, Locale locale) {
    if (p.recipients().isEmpty()) {
      return texts.text(locale, "recipients.none", Map.of("controller", controller.name()));
    }
    List<String> out = new ArrayList<>();
    for (Recipient r : p.recipients()) {
      String country = new Locale("", r.country()).getDisplayCountry(locale);
      if (r.outsideEea()) {
        out.add(
            texts.text(
                locale,
                "recipient.transfer",
                Map.of(
                    "name",
                    r.name(),
                    "country",
                    country,
                    "safeguard",
                    texts.text(
                        locale,
                        "safeguard."
                            + r.safeguard().name().toLowerCase(Locale.ROOT).replace('_', '-')))));
      } else {
        out.add(texts.text(locale, "recipient.eea", Map.of("name", r.name(), "country", country)));
      }
    }
    return String.join("; ", out);
  }

  private static PurposeText text(Purpose p, Locale locale) {
    return p.text(locale)
        .orElseThrow(
            () -> new IllegalArgumentException("purpose " + p.id() + " has no text for " + locale));
  }

  private static void line(StringBuilder out, String text) {
    out.append("   ").append(text).append('\n');
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
