package org.optin4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.internal.CatalogFiles;
import org.optin4j.internal.Locales;

/**
 * The purposes an app asks consent for, and the languages every purpose text must exist in (GDPR Art. 12(1): the
 * information must be intelligible to the people addressed).
 *
 * <p>Built in code with {@link #builder()}, or loaded from a file the app ships: {@link #fromProperties(InputStream)}
 * or {@link #fromJson(InputStream)} (formats in {@code docs/purpose-catalog.md}). Loading is strict: an unknown key, a
 * missing translation or an invalid value fails with a {@link ConfigurationException} that names the key.
 *
 * <p>Immutable and thread-safe.
 */
public final class PurposeCatalog {
  private final List<Locale> locales;
  private final Map<PurposeId, Purpose> purposes;

  private PurposeCatalog(List<Locale> locales, Map<PurposeId, Purpose> purposes) {
    this.locales = locales;
    this.purposes = purposes;
  }

  /**
   * Starts a builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Loads a catalog from a properties file (UTF-8).
   *
   * @param in the file contents; not closed
   * @return the catalog
   * @throws ConfigurationException naming the offending key if the file is invalid
   */
  public static PurposeCatalog fromProperties(InputStream in) {
    return CatalogFiles.fromProperties(in);
  }

  /**
   * Loads a catalog from a JSON file (UTF-8).
   *
   * @param in the file contents; not closed
   * @return the catalog
   * @throws ConfigurationException naming the offending key if the file is invalid
   */
  public static PurposeCatalog fromJson(InputStream in) {
    return CatalogFiles.fromJson(in);
  }

  /**
   * Loads a catalog from a file, by its extension: {@code .json} or {@code .properties}.
   *
   * @param file the file
   * @return the catalog
   * @throws ConfigurationException if the file is invalid or has another extension
   */
  public static PurposeCatalog load(Path file) {
    String name = file.getFileName().toString();
    try (InputStream in = Files.newInputStream(file)) {
      if (name.endsWith(".json")) {
        return fromJson(in);
      }
      if (name.endsWith(".properties")) {
        return fromProperties(in);
      }
      throw new ConfigurationException(
          "purpose catalog " + name + ": expected a .json or .properties file");
    } catch (IOException e) {
      throw new ConfigurationException(
          "purpose catalog " + name + ": cannot read (" + e.getMessage() + ")");
    }
  }

  /** Returns the purposes in the order they were added (the order forms show them in). */
  public List<Purpose> purposes() {
    return List.copyOf(purposes.values());
  }

  /**
   * Finds a purpose.
   *
   * @param id the id
   * @return the purpose, or empty
   */
  public Optional<Purpose> purpose(PurposeId id) {
    return Optional.ofNullable(purposes.get(id));
  }

  /**
   * Returns a purpose that must exist.
   *
   * @param id the id
   * @return the purpose
   * @throws IllegalArgumentException if the catalog has no such purpose
   */
  public Purpose require(PurposeId id) {
    Purpose p = purposes.get(Objects.requireNonNull(id, "purpose id"));
    if (p == null) {
      throw new IllegalArgumentException("unknown purpose: " + id);
    }
    return p;
  }

  /** Returns the supported languages; the first is the default. */
  public List<Locale> locales() {
    return locales;
  }

  /** Returns the default language. */
  public Locale defaultLocale() {
    return locales.get(0);
  }

  /**
   * Returns the supported language for a wished one: its language if supported, else the default.
   *
   * @param wished the wished locale, or {@code null}
   * @return a supported locale
   */
  public Locale resolve(Locale wished) {
    if (wished != null && !wished.getLanguage().isEmpty()) {
      Locale lang = Locales.languageOnly(wished);
      if (locales.contains(lang)) {
        return lang;
      }
    }
    return defaultLocale();
  }

  @Override
  public String toString() {
    return "PurposeCatalog[locales=" + locales + ", purposes=" + purposes.keySet() + "]";
  }

  /** Builds a {@link PurposeCatalog}. Not thread-safe. */
  public static final class Builder {
    private final Set<Locale> locales = new LinkedHashSet<>();
    private final Map<PurposeId, Purpose> purposes = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the languages every purpose must have texts in; the first is the default.
     *
     * @param supported the languages
     * @return this builder
     */
    public Builder locales(Locale... supported) {
      locales.clear();
      for (Locale l : supported) {
        locales.add(Locales.languageOnly(l));
      }
      return this;
    }

    /**
     * Adds a purpose.
     *
     * @param purpose the purpose
     * @return this builder
     * @throws IllegalArgumentException if its id is taken
     */
    public Builder add(Purpose purpose) {
      if (purposes.putIfAbsent(purpose.id(), purpose) != null) {
        throw new IllegalArgumentException("duplicate purpose: " + purpose.id());
      }
      return this;
    }

    /**
     * Builds the catalog.
     *
     * @return the catalog
     * @throws ConfigurationException naming every missing translation, or if there is no purpose or language
     */
    public PurposeCatalog build() {
      List<String> problems = new ArrayList<>();
      if (locales.isEmpty()) {
        problems.add("purpose catalog: at least one locale is required");
      }
      if (purposes.isEmpty()) {
        problems.add("purpose catalog: at least one purpose is required");
      }
      for (Purpose p : purposes.values()) {
        for (Locale l : locales) {
          if (p.text(l).isEmpty()) {
            problems.add(
                "purpose " + p.id() + ": missing translation for locale " + l.toLanguageTag());
          }
        }
      }
      if (!problems.isEmpty()) {
        throw new ConfigurationException(problems);
      }
      return new PurposeCatalog(
          List.copyOf(locales), Collections.unmodifiableMap(new LinkedHashMap<>(purposes)));
    }
  }
}
