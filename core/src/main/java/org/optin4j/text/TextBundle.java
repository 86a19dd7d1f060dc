package org.optin4j.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.PropertyResourceBundle;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.ConfigurationException;

/**
 * The texts of one family (hosted pages, notices or mails) in every shipped language, optionally overridden key by key
 * by the app. One mechanism for every text optin4j shows, so that the languages, the file format and the placeholder
 * syntax are declared once.
 *
 * <ul>
 *   <li>Files: {@code <base>_<language>.properties} on the class path for each of {@link #LANGUAGES}, UTF-8 (read as
 *       {@link PropertyResourceBundle} reads them: ISO-8859-1 only if a file is not valid UTF-8).
 *   <li>Fallback: a language that is not shipped gets the text of the default language, the first of {@link
 *       #LANGUAGES}. A shipped translation that lacks a key of the default language is refused when loaded: a
 *       missing translation fails, it never falls back silently.
 *   <li>Placeholders: {@code {name}} (letters and digits), replaced literally by the caller's value of that name; a
 *       value is never scanned for placeholders itself. No {@code MessageFormat} quoting rules, so an apostrophe needs
 *       no escaping. Any other brace is literal text. Shipped texts use names that start with a letter; digits are
 *       recognised too so that an override still written as {@code {0}} is refused rather than shown as it is.
 *   <li>Overrides ({@link #overriddenBy}): an app bundle {@code <base>.properties} for every language and
 *       {@code <base>_<language>.properties} for one language; for a given language the app's language file wins, then
 *       its common file, then the shipped translation, then the shipped default text. The override is checked when it
 *       is loaded: every key must be one of the shipped keys and every placeholder one that the shipped default text
 *       of that key has, so a typo fails at start-up, not in a page or a mail.
 * </ul>
 *
 * <p>Texts are plain text: callers encode them for their context (HTML, mail header). The core's notices and mails and
 * the servlet adapter's pages use it; an adapter for another framework can load its own texts the same way. Serves
 * GDPR Art. 12(1): the information in the language the person reads, in clear and plain words an app can adjust.
 *
 * <p>Immutable and thread-safe.
 */
public final class TextBundle {
  /** The languages every text family ships in; the first is the default and the fallback. */
  public static final List<String> LANGUAGES = List.of("en", "nl", "de", "fr");

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9]+)\\}");
  private static final Pattern BASE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,200}");

  private final String what;

  /** Per shipped language, the texts as shipped (no fallback, no override). */
  private final Map<String, Map<String, String>> shipped;

  /** Per shipped language, every key with the text to show: override, translation or default. */
  private final Map<String, Map<String, String>> texts;

  private TextBundle(
      String what,
      Map<String, Map<String, String>> shipped,
      Map<String, Map<String, String>> texts) {
    this.what = what;
    this.shipped = shipped;
    this.texts = texts;
  }

  /**
   * Loads the shipped texts of a family.
   *
   * @param what what the texts are, for messages ("page text")
   * @param baseName the resource bundle base name, for example {@code org.optin4j.mail.messages}
   * @param loader the class loader of the jar that ships the files
   * @return the texts
   * @throws IllegalStateException if the file of a shipped language is missing or lacks a key of the default one
   */
  public static TextBundle shipped(String what, String baseName, ClassLoader loader) {
    Objects.requireNonNull(what, "what");
    Objects.requireNonNull(loader, "loader");
    Map<String, Map<String, String>> shipped = new LinkedHashMap<>();
    for (String language : LANGUAGES) {
      String name = resourceName(baseName, language);
      Map<String, String> file = read(loader, name);
      if (file == null) {
        throw new IllegalStateException(what + "s missing from the jar: " + name);
      }
      shipped.put(language, file);
    }
    Map<String, String> defaults = shipped.get(LANGUAGES.get(0));
    List<String> lacking = new ArrayList<>();
    for (String language : LANGUAGES) {
      Set<String> missing = new TreeSet<>(defaults.keySet());
      missing.removeAll(shipped.get(language).keySet());
      if (!missing.isEmpty()) {
        lacking.add(resourceName(baseName, language) + " lacks " + String.join(", ", missing));
      }
    }
    if (!lacking.isEmpty()) {
      // Never fall back silently to the default language for a shipped one (GDPR Art. 12(1)).
      throw new IllegalStateException(what + "s incomplete: " + String.join("; ", lacking));
    }
    Map<String, Map<String, String>> texts = new LinkedHashMap<>();
    for (String language : LANGUAGES) {
      Map<String, String> merged = new HashMap<>(defaults);
      merged.putAll(shipped.get(language));
      texts.put(language, Map.copyOf(merged));
    }
    return new TextBundle(what, Map.copyOf(shipped), Map.copyOf(texts));
  }

  /**
   * Returns these texts overridden key by key by an app bundle, found through the thread's context class loader (the
   * web application's, in a servlet container), else the loader of this library.
   *
   * @param baseName the app bundle's base name, for example {@code com.shop.optin-pages}
   * @return the overridden texts
   * @throws ConfigurationException naming every problem: a malformed base name, no file at all, an unknown key, or a
   *     placeholder the default text of that key does not have
   */
  public TextBundle overriddenBy(String baseName) {
    Objects.requireNonNull(baseName, "baseName");
    String label = what + "s override " + baseName;
    if (!BASE_NAME.matcher(baseName).matches()) {
      throw new ConfigurationException(
          label + ": must be a resource bundle base name such as com.shop.texts");
    }
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    ClassLoader loader = context == null ? TextBundle.class.getClassLoader() : context;
    List<String> problems = new ArrayList<>();
    String commonName = resourceName(baseName, null);
    Map<String, String> common = read(loader, commonName);
    if (common != null) {
      check(commonName, common, problems);
    }
    Map<String, Map<String, String>> overridden = new LinkedHashMap<>();
    boolean found = common != null;
    for (String language : LANGUAGES) {
      String name = resourceName(baseName, language);
      Map<String, String> file = read(loader, name);
      found |= file != null;
      if (file != null) {
        check(name, file, problems);
      }
      Map<String, String> merged = new HashMap<>(texts.get(language));
      merged.putAll(common == null ? Map.of() : common);
      merged.putAll(file == null ? Map.of() : file);
      overridden.put(language, Map.copyOf(merged));
    }
    if (!found) {
      problems.add(
          label
              + ": no "
              + commonName
              + " and no "
              + resourceName(baseName, "<language>")
              + " on the class path (languages: "
              + String.join(", ", LANGUAGES)
              + ")");
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    return new TextBundle(what, shipped, Map.copyOf(overridden));
  }

  /** Adds a problem for each key of an override file that is unknown or uses a placeholder its default lacks. */
  private void check(String file, Map<String, String> override, List<String> problems) {
    Map<String, String> defaults = shipped.get(LANGUAGES.get(0));
    for (String key : new TreeSet<>(override.keySet())) {
      String original = defaults.get(key);
      if (original == null) {
        problems.add(file + ": " + key + ": unknown key (not a " + what + " of optin4j)");
        continue;
      }
      Set<String> allowed = placeholders(original);
      for (String name : placeholders(override.get(key))) {
        if (!allowed.contains(name)) {
          problems.add(
              file
                  + ": "
                  + key
                  + ": unknown placeholder {"
                  + name
                  + "}"
                  + (allowed.isEmpty()
                      ? "; this text has none"
                      : "; this text has " + braced(allowed)));
        }
      }
    }
  }

  private static String braced(Set<String> names) {
    List<String> out = new ArrayList<>();
    names.forEach(n -> out.add("{" + n + "}"));
    return String.join(", ", out);
  }

  /**
   * Returns the shipped language texts are shown in for a locale: its language if shipped, else the default.
   *
   * @param locale the wished locale
   * @return one of {@link #LANGUAGES}
   */
  public static String language(Locale locale) {
    String language = locale.getLanguage();
    return LANGUAGES.contains(language) ? language : LANGUAGES.get(0);
  }

  /**
   * Returns the texts of one language exactly as shipped: no fallback, no override. For tests of the translations.
   *
   * @param language one of {@link #LANGUAGES}
   * @return key to text
   * @throws IllegalArgumentException if the language is not shipped
   */
  public Map<String, String> shippedTexts(String language) {
    Map<String, String> file = shipped.get(language);
    if (file == null) {
      throw new IllegalArgumentException("not a shipped language: " + language);
    }
    return file;
  }

  /**
   * Returns a text that has no placeholders.
   *
   * @param locale the language (see {@link #language})
   * @param key the key
   * @return the text
   * @throws IllegalStateException if the key is unknown or the text has a placeholder
   */
  public String text(Locale locale, String key) {
    return text(locale, key, Map.of());
  }

  /**
   * Returns a text with each {@code {name}} replaced by its value.
   *
   * @param locale the language (see {@link #language})
   * @param key the key
   * @param values the value of each placeholder
   * @return the text
   * @throws IllegalStateException if the key is unknown or the text has a placeholder without a value
   */
  public String text(Locale locale, String key, Map<String, String> values) {
    String pattern = texts.get(language(locale)).get(key);
    if (pattern == null) {
      throw new IllegalStateException(what + " missing: " + key);
    }
    Matcher m = PLACEHOLDER.matcher(pattern);
    StringBuilder out = new StringBuilder(pattern.length() + 32);
    int from = 0;
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalStateException(
            what + " " + key + " uses {" + m.group(1) + "}, which has no value");
      }
      out.append(pattern, from, m.start()).append(value);
      from = m.end();
    }
    return out.append(pattern, from, pattern.length()).toString();
  }

  /**
   * Returns the names of the placeholders in a text, in order of first use.
   *
   * @param text a text
   * @return the names, without braces
   */
  public static Set<String> placeholders(String text) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = PLACEHOLDER.matcher(text);
    while (m.find()) {
      names.add(m.group(1));
    }
    return Collections.unmodifiableSet(names);
  }

  /** The resource name ResourceBundle would use: dots become slashes, then {@code _language} and the suffix. */
  private static String resourceName(String baseName, String language) {
    return baseName.replace('.', '/') + (language == null ? "" : "_" + language) + ".properties";
  }

  /** Reads one properties file, or null if there is none. */
  private static Map<String, String> read(ClassLoader loader, String name) {
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in == null) {
        return null;
      }
      PropertyResourceBundle bundle = new PropertyResourceBundle(in);
      Map<String, String> out = new HashMap<>();
      for (String key : bundle.keySet()) {
        out.put(key, bundle.getString(key));
      }
      return Map.copyOf(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
