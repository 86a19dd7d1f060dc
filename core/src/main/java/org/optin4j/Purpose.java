package org.optin4j;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.optin4j.campaign.Campaigns;
import org.optin4j.internal.Locales;

/**
 * A processing purpose a person can consent to, one per checkbox (GDPR Art. 6(1)(a), Art. 7; EDPB Guidelines
 * 05/2020 on granularity).
 *
 * <p>The {@code version} goes up whenever the text or meaning of the purpose changes; consents record the version they
 * were given under. A change is <em>editorial</em> (wording, typos: earlier consents stay as they are) or
 * <em>material</em> (what is done, with which data, for how long: the earlier consents no longer cover it).
 * {@code materialVersion} is the latest version whose change was material; consents given under an older version
 * need re-confirmation ({@link Campaigns#requestReconsent}), and stay valid until the person answers or the deadline
 * passes. Texts are kept per locale (by language, for example {@code en}, {@code nl}). Data categories are stable
 * machine-readable names (for example {@code email}, {@code first-name}) used in exports and receipts.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the stable identifier
 * @param version the purpose version, 1 or more
 * @param texts the texts per locale, at least one
 * @param dataCategories the categories of data used, at least one
 * @param legalBasis the lawful basis
 * @param retention how long data and proof are kept
 * @param doubleOptIn whether the address must be confirmed before the purpose is active
 * @param materialVersion the latest version that changed the purpose materially, 1 to {@code version} (1: never)
 * @param recipients who the data is disclosed to, each with its country and any transfer safeguard (GDPR Art.
 *     13(1)(e)-(f)); empty: nobody
 * @param automatedDecisions per language, meaningful information about the logic and the consequences of the
 *     automated decision-making, including profiling, done for this purpose (GDPR Art. 13(2)(f), Art. 22); empty: there
 *     is none, which notices and the information page say (a statement, not a missing value). When not empty, every
 *     language of {@code texts} has its text.
 */
public record Purpose(
    PurposeId id,
    int version,
    Map<Locale, PurposeText> texts,
    List<String> dataCategories,
    LegalBasis legalBasis,
    Retention retention,
    boolean doubleOptIn,
    int materialVersion,
    List<Recipient> recipients,
    Map<Locale, String> automatedDecisions) {

  private static final Pattern CATEGORY = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  /** Validates every component. */
  public Purpose {
    Objects.requireNonNull(id, "id");
    if (version < 1) {
      throw new IllegalArgumentException(
          "purpose " + id + ": version must be 1 or more, was " + version);
    }
    Objects.requireNonNull(texts, "texts");
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("purpose " + id + ": needs a text in at least one locale");
    }
    Map<Locale, PurposeText> copy = new LinkedHashMap<>();
    texts.forEach(
        (locale, text) ->
            copy.put(
                Locales.languageOnly(Objects.requireNonNull(locale, "locale")),
                Objects.requireNonNull(text, "text")));
    texts = Collections.unmodifiableMap(copy);
    dataCategories = List.copyOf(Objects.requireNonNull(dataCategories, "dataCategories"));
    if (dataCategories.isEmpty()) {
      throw new IllegalArgumentException("purpose " + id + ": needs at least one data category");
    }
    for (String c : dataCategories) {
      if (!CATEGORY.matcher(c).matches()) {
        throw new IllegalArgumentException(
            "purpose " + id + ": invalid data category \"" + c + '"');
      }
    }
    Objects.requireNonNull(legalBasis, "legalBasis");
    Objects.requireNonNull(retention, "retention");
    if (materialVersion < 1 || materialVersion > version) {
      throw new IllegalArgumentException(
          "purpose "
              + id
              + ": materialVersion must be 1 to the version "
              + version
              + ", was "
              + materialVersion);
    }
    recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
    Objects.requireNonNull(automatedDecisions, "automatedDecisions");
    Map<Locale, String> logic = new LinkedHashMap<>();
    automatedDecisions.forEach(
        (locale, text) -> {
          String t = Objects.requireNonNull(text, "automatedDecisions text").strip();
          if (t.isEmpty()) {
            throw new IllegalArgumentException(
                "purpose " + id + ": automatedDecisions text must not be blank");
          }
          logic.put(Locales.languageOnly(Objects.requireNonNull(locale, "locale")), t);
        });
    if (!logic.isEmpty()) {
      for (Locale l : texts.keySet()) {
        if (!logic.containsKey(l)) {
          throw new IllegalArgumentException(
              "purpose "
                  + id
                  + ": automatedDecisions has no text for "
                  + l.toLanguageTag()
                  + " (GDPR Art. 13(2)(f): every language of the purpose's texts)");
        }
      }
    }
    automatedDecisions = Collections.unmodifiableMap(logic);
  }

  /**
   * Returns the information about automated decision-making, including profiling, for a locale's language (GDPR Art.
   * 13(2)(f)).
   *
   * @param locale the locale; only its language counts
   * @return the logic and consequences, or empty when the purpose involves none
   */
  public Optional<String> automatedDecisions(Locale locale) {
    return Optional.ofNullable(automatedDecisions.get(Locales.languageOnly(locale)));
  }

  /**
   * Tells whether a consent given under a version of this purpose needs re-confirmation: it was given before the
   * latest material change.
   *
   * @param consentedVersion the purpose version of the consent
   * @return whether it predates {@link #materialVersion()}
   */
  public boolean needsReconsent(int consentedVersion) {
    return consentedVersion < materialVersion;
  }

  /**
   * Returns the text for a locale's language, if there is one.
   *
   * @param locale the locale; only its language counts
   * @return the text, or empty
   */
  public Optional<PurposeText> text(Locale locale) {
    return Optional.ofNullable(texts.get(Locales.languageOnly(locale)));
  }

  /**
   * Starts a builder for a purpose.
   *
   * @param id the purpose id
   * @return a builder with version 1, legal basis consent, double opt-in on
   */
  public static Builder builder(String id) {
    return new Builder(PurposeId.of(id));
  }

  /** Builds a {@link Purpose}. Not thread-safe; use one per thread. */
  public static final class Builder {
    private final PurposeId id;
    private int version = 1;
    private final Map<Locale, PurposeText> texts = new LinkedHashMap<>();
    private List<String> dataCategories = List.of("email");
    private LegalBasis legalBasis = LegalBasis.CONSENT;
    private Retention retention;
    private boolean doubleOptIn = true;
    private boolean materialChange;
    private int materialVersion;
    private List<Recipient> recipients;
    private Map<Locale, String> automatedDecisions;

    private Builder(PurposeId id) {
      this.id = id;
    }

    /**
     * Sets the version.
     *
     * @param version 1 or more
     * @return this builder
     */
    public Builder version(int version) {
      this.version = version;
      return this;
    }

    /**
     * Marks this version's change as material (default: editorial): consents given under earlier versions need
     * re-confirmation. Sets {@code materialVersion} to the version.
     *
     * @param material whether this version changed the purpose materially
     * @return this builder
     */
    public Builder materialChange(boolean material) {
      this.materialChange = material;
      return this;
    }

    /**
     * Sets the latest version whose change was material, for an editorial change after a material one (default 1,
     * or the version with {@link #materialChange(boolean) materialChange(true)}).
     *
     * @param version 1 to this purpose's version
     * @return this builder
     */
    public Builder materialVersion(int version) {
      this.materialVersion = version;
      return this;
    }

    /**
     * Adds the texts for one locale.
     *
     * @param locale the locale (its language counts)
     * @param title the title
     * @param description why
     * @param data which data
     * @return this builder
     */
    public Builder text(Locale locale, String title, String description, String data) {
      texts.put(locale, new PurposeText(title, description, data));
      return this;
    }

    /**
     * Sets the data categories (default: {@code email}).
     *
     * @param categories the categories
     * @return this builder
     */
    public Builder dataCategories(String... categories) {
      this.dataCategories = List.of(categories);
      return this;
    }

    /**
     * Sets the legal basis (default: consent).
     *
     * @param legalBasis the basis
     * @return this builder
     */
    public Builder legalBasis(LegalBasis legalBasis) {
      this.legalBasis = legalBasis;
      return this;
    }

    /**
     * Sets the retention (required).
     *
     * @param retention the retention
     * @return this builder
     */
    public Builder retention(Retention retention) {
      this.retention = retention;
      return this;
    }

    /**
     * Sets who the data is disclosed to (GDPR Art. 13(1)(e)-(f)); this or {@link #noRecipients()} is required.
     *
     * @param recipients the recipients, at least one
     * @return this builder
     */
    public Builder recipients(Recipient... recipients) {
      if (recipients.length == 0) {
        throw new IllegalArgumentException(
            "purpose " + id + ": recipients needs at least one; use noRecipients() for none");
      }
      this.recipients = List.of(recipients);
      return this;
    }

    /**
     * Declares that the data of this purpose is disclosed to nobody outside the controller.
     *
     * @return this builder
     */
    public Builder noRecipients() {
      this.recipients = List.of();
      return this;
    }

    /**
     * Declares that this purpose involves no automated decision-making, including profiling (GDPR Art. 13(2)(f), Art.
     * 22); notices and the information page say so. This or {@link #automatedDecisions(Locale, String)} is required.
     *
     * @return this builder
     */
    public Builder noAutomatedDecisions() {
      this.automatedDecisions = new LinkedHashMap<>();
      return this;
    }

    /**
     * Declares automated decision-making, including profiling, for this purpose, with meaningful information about its
     * logic and its significance and envisaged consequences for the person in one language (GDPR Art. 13(2)(f)), for
     * example "We count which newsletters you open to send you fewer of the kinds you never read; nothing else
     * depends on it." Call once per language of the purpose's texts.
     *
     * @param locale the language
     * @param logicAndConsequences the information, in plain words
     * @return this builder
     */
    public Builder automatedDecisions(Locale locale, String logicAndConsequences) {
      if (automatedDecisions == null) {
        automatedDecisions = new LinkedHashMap<>();
      }
      automatedDecisions.put(
          Objects.requireNonNull(locale, "locale"),
          Objects.requireNonNull(logicAndConsequences, "logicAndConsequences"));
      return this;
    }

    /**
     * Sets whether double opt-in is required (default: yes).
     *
     * @param doubleOptIn whether the address must be confirmed first
     * @return this builder
     */
    public Builder doubleOptIn(boolean doubleOptIn) {
      this.doubleOptIn = doubleOptIn;
      return this;
    }

    /**
     * Builds the purpose.
     *
     * @return the purpose
     * @throws IllegalArgumentException if a component is invalid, or the retention, the recipients or the statement
     *     on automated decisions are missing (GDPR Art. 13(2)(a), 13(1)(e), 13(2)(f))
     */
    public Purpose build() {
      if (retention == null) {
        throw new IllegalArgumentException("purpose " + id + ": retention is required");
      }
      if (recipients == null) {
        throw new IllegalArgumentException(
            "purpose "
                + id
                + ": recipients is required (GDPR Art. 13(1)(e)): recipients(...) or noRecipients()");
      }
      if (automatedDecisions == null) {
        throw new IllegalArgumentException(
            "purpose "
                + id
                + ": automatedDecisions is required (GDPR Art. 13(2)(f)): automatedDecisions(locale, logic)"
                + " or noAutomatedDecisions()");
      }
      int material = materialChange ? version : materialVersion == 0 ? 1 : materialVersion;
      return new Purpose(
          id,
          version,
          texts,
          dataCategories,
          legalBasis,
          retention,
          doubleOptIn,
          material,
          recipients,
          automatedDecisions);
    }
  }
}
