package org.optin4j.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.optin4j.ConfigurationException;
import org.optin4j.LegalBasis;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeText;
import org.optin4j.Recipient;
import org.optin4j.Retention;

/**
 * Reads purpose catalog files: the properties and JSON formats described in {@code docs/purpose-catalog.md}.
 *
 * <p>Both readers are strict: every unknown key, missing key, missing translation, text in a language not listed in
 * {@code locales}, wrong type and bad value is reported, all at once, in one {@link ConfigurationException} whose
 * problems each start with the exact key. A catalog decides what people are told before they consent (GDPR Art. 13),
 * so a typo must fail at start-up rather than silently drop a sentence from a notice.
 *
 * <p>Stateless; safe to call from any thread.
 */
public final class CatalogFiles {
  private static final Pattern LANGUAGE = Pattern.compile("[a-z]{2,3}");

  /** The syntax of purpose ids and data categories. */
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  private static final Set<String> ISO_639_1 = Set.of(Locale.getISOLanguages());
  private static final String UNTIL_WITHDRAWN = "until-withdrawn";
  private static final String NONE = "none";
  private static final String AUTOMATED_DECISIONS = "automated-decisions";

  /** Longest retention accepted; also keeps {@code Instant.plus} far from overflow. */
  private static final Duration MAX_PERIOD = Duration.ofDays(100L * 365);

  private static final List<String> TEXT_FIELDS = List.of("title", "description", "data");
  private static final Set<String> PROPERTIES_FIELDS =
      Set.of(
          "version",
          "data-categories",
          "legal-basis",
          "retention",
          "proof-retention",
          "double-opt-in",
          "material-version",
          "recipients",
          "automated-decisions");
  private static final Set<String> JSON_ROOT_KEYS = Set.of("locales", "purposes");
  private static final Set<String> JSON_PURPOSE_KEYS =
      Set.of(
          "id",
          "version",
          "dataCategories",
          "legalBasis",
          "retention",
          "proofRetention",
          "doubleOptIn",
          "texts",
          "materialVersion",
          "recipients",
          "automatedDecisions");
  private static final Set<String> JSON_TEXT_KEYS = Set.copyOf(TEXT_FIELDS);

  private CatalogFiles() {}

  // ---------------------------------------------------------------------------------------------------------------
  // Properties

  public static PurposeCatalog fromProperties(InputStream in) {
    String text = readUtf8(in);
    DuplicateCheckingProperties props = new DuplicateCheckingProperties();
    try {
      props.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      // IllegalArgumentException: a malformed backslash-u escape.
      throw configurationException(
          "purpose catalog: malformed properties file (" + e.getMessage() + ")", e);
    }
    Map<String, String> values = new TreeMap<>();
    for (String key : props.stringPropertyNames()) {
      values.put(key, props.getProperty(key).strip());
    }
    List<String> problems = new ArrayList<>();
    for (String key : props.duplicates) {
      problems.add(key + ": duplicate key");
    }
    Set<String> used = new HashSet<>(Set.of("locales", "purposes"));
    List<String> languages =
        checkLanguages("locales", propertiesList("locales", values, problems), problems);
    List<String> ids = checkIds("purposes", propertiesList("purposes", values, problems), problems);

    List<Purpose> purposes = new ArrayList<>();
    for (String id : ids == null ? List.<String>of() : ids) {
      String prefix = "purpose." + id + '.';
      PROPERTIES_FIELDS.forEach(f -> used.add(prefix + f));
      int before = problems.size();
      Draft d = new Draft();

      String key = prefix + "version";
      d.version = version(key, values.get(key), d.version, problems);
      key = prefix + "material-version";
      d.materialVersion = version(key, values.get(key), d.materialVersion, problems);
      key = prefix + "data-categories";
      String v = values.get(key);
      if (v != null) {
        d.categories = checkCategories(key, splitList(key, v, problems), problems);
      }
      key = prefix + "legal-basis";
      v = values.get(key);
      if (v != null) {
        d.legalBasis = parseLegalBasis(key, v, problems);
      }
      d.retention =
          parseRetention(
              prefix + "retention",
              required(prefix + "retention", values, problems),
              prefix + "proof-retention",
              required(prefix + "proof-retention", values, problems),
              problems);
      key = prefix + "recipients";
      v = required(key, values, problems);
      if (v != null) {
        d.recipients =
            parseRecipients(key, v.equals(NONE) ? List.of() : List.of(v.split(";", -1)), problems);
      }
      propertiesAutomatedDecisions(prefix, values, languages, used, d, problems);
      key = prefix + "double-opt-in";
      v = values.get(key);
      if (v != null) {
        if (v.equals("true") || v.equals("false")) {
          d.doubleOptIn = Boolean.parseBoolean(v);
        } else {
          problems.add(key + ": must be true or false, was " + quote(v));
        }
      }
      for (String lang : languages == null ? List.<String>of() : languages) {
        List<String> texts = new ArrayList<>();
        for (String field : TEXT_FIELDS) {
          key = prefix + field + '.' + lang;
          used.add(key);
          v = values.get(key);
          if (v == null) {
            problems.add(key + ": missing translation");
          } else if (v.isEmpty()) {
            problems.add(key + ": must not be blank");
          } else {
            texts.add(v);
          }
        }
        if (texts.size() == TEXT_FIELDS.size()) {
          d.texts.put(lang, new PurposeText(texts.get(0), texts.get(1), texts.get(2)));
        }
      }
      if (problems.size() == before && languages != null) {
        d.toPurpose(id, "purpose." + id, problems).ifPresent(purposes::add);
      }
    }

    for (Map.Entry<String, String> e : values.entrySet()) {
      if (!used.contains(e.getKey())) {
        whyUnused(e.getKey(), languages, ids)
            .ifPresent(why -> problems.add(e.getKey() + ": " + why));
      }
    }
    return catalog(languages, purposes, problems);
  }

  /**
   * Explains a key no listed purpose used: a text in an unlisted language, a purpose missing from {@code purposes}, or
   * an unknown key. Empty for a well-formed purpose key that could not be checked because {@code locales} or {@code
   * purposes} is itself broken (that problem is reported on its own).
   */
  private static Optional<String> whyUnused(String key, List<String> languages, List<String> ids) {
    String[] parts = key.split("\\.", -1);
    boolean textKey =
        parts.length == 4
            && (TEXT_FIELDS.contains(parts[2]) || parts[2].equals(AUTOMATED_DECISIONS));
    boolean fieldKey = parts.length == 3 && PROPERTIES_FIELDS.contains(parts[2]);
    if (!parts[0].equals("purpose") || !(textKey || fieldKey)) {
      return Optional.of("unknown key");
    }
    if (ids == null) {
      return Optional.empty();
    }
    if (!ids.contains(parts[1])) {
      return Optional.of("unknown key (purpose " + parts[1] + " is not listed in purposes)");
    }
    // A listed purpose's field keys are all used, so this is a text key.
    return languages == null ? Optional.empty() : Optional.of("locale not in locales");
  }

  /**
   * Reads the statement on automated decisions (GDPR Art. 13(2)(f)): {@code automated-decisions = none}, or the logic
   * and consequences per language in {@code automated-decisions.<lang>}. One of the two is required: a catalog that
   * says nothing is refused, like one without recipients.
   */
  private static void propertiesAutomatedDecisions(
      String prefix,
      Map<String, String> values,
      List<String> languages,
      Set<String> used,
      Draft d,
      List<String> problems) {
    String key = prefix + AUTOMATED_DECISIONS;
    String statement = values.get(key);
    Map<String, String> logic = new LinkedHashMap<>();
    for (String lang : languages == null ? List.<String>of() : languages) {
      String langKey = key + '.' + lang;
      used.add(langKey);
      String v = values.get(langKey);
      if (v != null && v.isEmpty()) {
        problems.add(langKey + ": must not be blank");
      } else if (v != null) {
        logic.put(lang, v);
      }
    }
    if (statement != null && !statement.equals(NONE)) {
      problems.add(
          key
              + ": must be none, was "
              + quote(statement)
              + "; describe automated decisions per language in "
              + key
              + ".<locale>");
    } else if (statement != null && !logic.isEmpty()) {
      problems.add(key + ": none, yet " + key + ".<locale> describes automated decisions");
    } else if (statement == null && logic.isEmpty()) {
      problems.add(
          key
              + ": required (GDPR Art. 13(2)(f)); none, or the logic and consequences in "
              + key
              + ".<locale>");
    } else if (statement == null) {
      for (String lang : languages) {
        if (!logic.containsKey(lang)) {
          problems.add(key + '.' + lang + ": missing translation");
        }
      }
      d.automatedDecisions = logic;
    }
  }

  private static String required(String key, Map<String, String> values, List<String> problems) {
    String v = values.get(key);
    if (v == null) {
      problems.add(key + ": missing required key");
    }
    return v;
  }

  private static List<String> propertiesList(
      String key, Map<String, String> values, List<String> problems) {
    String v = required(key, values, problems);
    return v == null ? null : splitList(key, v, problems);
  }

  /** Splits a comma-separated value; refuses an empty list or an empty entry. */
  private static List<String> splitList(String key, String value, List<String> problems) {
    if (value.isEmpty()) {
      problems.add(key + ": must not be empty");
      return null;
    }
    List<String> out = new ArrayList<>();
    for (String item : value.split(",", -1)) {
      String s = item.strip();
      if (s.isEmpty()) {
        problems.add(key + ": empty entry in " + quote(value));
        return null;
      }
      out.add(s);
    }
    return out;
  }

  /** A {@link Properties} that remembers keys defined twice (plain {@code load} silently keeps the last). */
  private static final class DuplicateCheckingProperties extends Properties {
    private static final long serialVersionUID = 1L;
    private final Set<String> duplicates = new TreeSet<>();

    @Override
    public synchronized Object put(Object key, Object value) {
      Object previous = super.put(key, value);
      if (previous != null) {
        duplicates.add(String.valueOf(key));
      }
      return previous;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // JSON

  public static PurposeCatalog fromJson(InputStream in) {
    String text = readUtf8(in);
    Map<String, Object> root;
    String malformed =
        "purpose catalog: malformed JSON (expected one object; comments, trailing commas and duplicate"
            + " keys are not allowed)";
    try {
      root = JSONObjectUtils.parse(text);
    } catch (ParseException e) {
      throw configurationException(malformed, e);
    }
    if (root == null) {
      // Nimbus answers the JSON literal null with null rather than an error (found by
      // PurposeCatalogFuzzTest).
      throw new ConfigurationException(malformed);
    }
    List<String> problems = new ArrayList<>();
    unknownKeys("", root, JSON_ROOT_KEYS, problems);

    List<String> languages = null;
    if (!root.containsKey("locales")) {
      problems.add("locales: missing required key");
    } else {
      languages =
          checkLanguages("locales", stringList("locales", root.get("locales"), problems), problems);
    }

    List<Purpose> purposes = new ArrayList<>();
    Object raw = root.get("purposes");
    if (!root.containsKey("purposes")) {
      problems.add("purposes: missing required key");
    } else if (!(raw instanceof List<?> list)) {
      problems.add("purposes: must be an array of objects, was " + typeOf(raw));
    } else if (list.isEmpty()) {
      problems.add("purposes: must not be empty");
    } else {
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < list.size(); i++) {
        jsonPurpose("purposes[" + i + "]", list.get(i), languages, ids, problems)
            .ifPresent(purposes::add);
      }
    }
    return catalog(languages, purposes, problems);
  }

  private static Optional<Purpose> jsonPurpose(
      String path, Object raw, List<String> languages, Set<String> ids, List<String> problems) {
    if (!(raw instanceof Map<?, ?> map)) {
      problems.add(path + ": must be an object, was " + typeOf(raw));
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(path + '.', map, JSON_PURPOSE_KEYS, problems);
    Draft d = new Draft();

    String id = requiredString(path, "id", map, problems);
    if (id != null) {
      List<String> checked = checkIds(path + ".id", List.of(id), problems);
      if (checked != null && !ids.add(id)) {
        problems.add(path + ".id: duplicate purpose " + id);
      }
    }
    d.version = version(path + ".version", map, "version", d.version, problems);
    d.materialVersion =
        version(path + ".materialVersion", map, "materialVersion", d.materialVersion, problems);
    if (map.containsKey("dataCategories")) {
      String key = path + ".dataCategories";
      d.categories =
          checkCategories(key, stringList(key, map.get("dataCategories"), problems), problems);
    }
    if (map.containsKey("legalBasis")) {
      String key = path + ".legalBasis";
      String v = string(key, map.get("legalBasis"), problems);
      d.legalBasis = v == null ? null : parseLegalBasis(key, v, problems);
    }
    d.retention =
        parseRetention(
            path + ".retention",
            requiredString(path, "retention", map, problems),
            path + ".proofRetention",
            requiredString(path, "proofRetention", map, problems),
            problems);
    if (map.containsKey("recipients")) {
      String key = path + ".recipients";
      Object listed = map.get("recipients");
      // An empty array is a statement (nobody receives the data), unlike a missing member.
      List<String> items =
          listed instanceof List<?> l && l.isEmpty()
              ? List.of()
              : stringList(key, listed, problems);
      if (items != null) {
        d.recipients = parseRecipients(key, items, problems);
      }
    } else {
      problems.add(path + ".recipients: required (GDPR Art. 13(1)(e)); [] for none");
    }
    jsonAutomatedDecisions(path + ".automatedDecisions", map, languages, d, problems);
    if (map.containsKey("doubleOptIn")) {
      Object v = map.get("doubleOptIn");
      if (v instanceof Boolean flag) {
        d.doubleOptIn = flag;
      } else {
        problems.add(path + ".doubleOptIn: must be true or false, was " + typeOrValue(v));
      }
    }
    jsonTexts(path + ".texts", map, languages, d, problems);

    return problems.size() == before && languages != null
        ? d.toPurpose(id, path, problems)
        : Optional.empty();
  }

  private static void jsonTexts(
      String path, Map<?, ?> purpose, List<String> languages, Draft d, List<String> problems) {
    if (!purpose.containsKey("texts")) {
      problems.add(path + ": missing required key");
      return;
    }
    if (!(purpose.get("texts") instanceof Map<?, ?> texts)) {
      problems.add(path + ": must be an object, was " + typeOf(purpose.get("texts")));
      return;
    }
    for (Map.Entry<?, ?> e : texts.entrySet()) {
      String lang = String.valueOf(e.getKey());
      String langPath = path + '.' + lang;
      if (languages != null && !languages.contains(lang)) {
        problems.add(langPath + ": locale not in locales");
        continue;
      }
      if (!(e.getValue() instanceof Map<?, ?> text)) {
        problems.add(langPath + ": must be an object, was " + typeOf(e.getValue()));
        continue;
      }
      int before = problems.size();
      unknownKeys(langPath + '.', text, JSON_TEXT_KEYS, problems);
      List<String> fields = new ArrayList<>();
      for (String field : TEXT_FIELDS) {
        String value = requiredString(langPath, field, text, problems);
        if (value != null && value.isEmpty()) {
          problems.add(langPath + '.' + field + ": must not be blank");
        } else if (value != null) {
          fields.add(value);
        }
      }
      if (problems.size() == before) {
        d.texts.put(lang, new PurposeText(fields.get(0), fields.get(1), fields.get(2)));
      }
    }
    for (String lang : languages == null ? List.<String>of() : languages) {
      if (!texts.containsKey(lang)) {
        problems.add(path + '.' + lang + ": missing translation");
      }
    }
  }

  /**
   * Reads {@code automatedDecisions}: {@code "none"}, or an object giving the logic and consequences per language
   * (GDPR Art. 13(2)(f)). Required.
   */
  private static void jsonAutomatedDecisions(
      String path, Map<?, ?> purpose, List<String> languages, Draft d, List<String> problems) {
    if (!purpose.containsKey("automatedDecisions")) {
      problems.add(
          path
              + ": required (GDPR Art. 13(2)(f)); \"none\", or the logic and consequences per locale");
      return;
    }
    Object raw = purpose.get("automatedDecisions");
    if (raw instanceof String s && s.strip().equals(NONE)) {
      return;
    }
    if (!(raw instanceof Map<?, ?> texts) || texts.isEmpty()) {
      problems.add(
          path + ": must be \"none\" or an object of texts per locale, was " + typeOrValue(raw));
      return;
    }
    Map<String, String> logic = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : texts.entrySet()) {
      String lang = String.valueOf(e.getKey());
      if (languages != null && !languages.contains(lang)) {
        problems.add(path + '.' + lang + ": locale not in locales");
        continue;
      }
      String v = string(path + '.' + lang, e.getValue(), problems);
      if (v != null && v.isEmpty()) {
        problems.add(path + '.' + lang + ": must not be blank");
      } else if (v != null) {
        logic.put(lang, v);
      }
    }
    for (String lang : languages == null ? List.<String>of() : languages) {
      if (!texts.containsKey(lang)) {
        problems.add(path + '.' + lang + ": missing translation");
      }
    }
    d.automatedDecisions = logic;
  }

  private static void unknownKeys(
      String prefix, Map<?, ?> map, Set<String> known, List<String> problems) {
    for (Object key : map.keySet()) {
      if (!known.contains(String.valueOf(key))) {
        problems.add(prefix + key + ": unknown key");
      }
    }
  }

  /** Returns a required string member, stripped; {@code null} after adding a problem if absent or not a string. */
  private static String requiredString(
      String path, String name, Map<?, ?> map, List<String> problems) {
    if (!map.containsKey(name)) {
      problems.add(path + '.' + name + ": missing required key");
      return null;
    }
    return string(path + '.' + name, map.get(name), problems);
  }

  private static String string(String path, Object value, List<String> problems) {
    if (value instanceof String s) {
      return s.strip();
    }
    problems.add(path + ": must be a string, was " + typeOf(value));
    return null;
  }

  private static List<String> stringList(String path, Object value, List<String> problems) {
    if (!(value instanceof List<?> list)) {
      problems.add(path + ": must be an array of strings, was " + typeOf(value));
      return null;
    }
    if (list.isEmpty()) {
      problems.add(path + ": must not be empty");
      return null;
    }
    int before = problems.size();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(string(path + '[' + i + ']', list.get(i), problems));
    }
    return problems.size() == before ? out : null;
  }

  private static String typeOf(Object value) {
    if (value == null) {
      return "null";
    } else if (value instanceof String) {
      return "a string";
    } else if (value instanceof Boolean) {
      return "a boolean";
    } else if (value instanceof Number) {
      return "a number";
    } else if (value instanceof List) {
      return "an array";
    }
    return "an object";
  }

  private static String typeOrValue(Object value) {
    return value instanceof Number || value instanceof Boolean
        ? String.valueOf(value)
        : typeOf(value);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Shared

  /** What one purpose entry says, with the documented defaults; {@code null} fields had a problem. */
  private static final class Draft {
    private int version = 1;
    private int materialVersion = 1;
    private List<String> categories = List.of("email");
    private LegalBasis legalBasis = LegalBasis.CONSENT;
    private Retention retention;
    private boolean doubleOptIn = true;
    private List<Recipient> recipients = List.of();

    /** Empty: none declared (the files require the statement, so empty here means "none"). */
    private Map<String, String> automatedDecisions = Map.of();

    private final Map<String, PurposeText> texts = new LinkedHashMap<>();

    /** Builds the purpose; called only when no problem was found for it. */
    public Optional<Purpose> toPurpose(String id, String key, List<String> problems) {
      Purpose.Builder b =
          Purpose.builder(id)
              .version(version)
              .materialVersion(materialVersion)
              .dataCategories(categories.toArray(String[]::new))
              .legalBasis(legalBasis)
              .retention(retention)
              .doubleOptIn(doubleOptIn);
      if (recipients.isEmpty()) {
        b.noRecipients();
      } else {
        b.recipients(recipients.toArray(Recipient[]::new));
      }
      texts.forEach(
          (lang, t) -> b.text(Locale.forLanguageTag(lang), t.title(), t.description(), t.data()));
      b.noAutomatedDecisions();
      automatedDecisions.forEach((lang, t) -> b.automatedDecisions(Locale.forLanguageTag(lang), t));
      try {
        return Optional.of(b.build());
      } catch (IllegalArgumentException e) {
        // Every rule of Purpose is checked above with the exact key; this is a safety net for rules
        // added later.
        problems.add(key + ": " + e.getMessage());
        return Optional.empty();
      }
    }
  }

  private static String readUtf8(InputStream in) {
    Objects.requireNonNull(in, "in");
    byte[] bytes;
    try {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw configurationException("purpose catalog: cannot read (" + e.getMessage() + ")", e);
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw configurationException("purpose catalog: not valid UTF-8", e);
    }
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  /** Reads a properties version: a whole number of 1 or more; else (absent, or reported) {@code current}. */
  private static int version(String key, String value, int current, List<String> problems) {
    if (value == null) {
      return current;
    }
    if (value.matches("[0-9]{1,9}") && Integer.parseInt(value) >= 1) {
      return Integer.parseInt(value);
    }
    problems.add(key + ": must be a whole number of 1 or more, was " + quote(value));
    return current;
  }

  /** Reads a JSON version: a whole number of 1 or more; else (absent, or reported) {@code current}. */
  private static int version(
      String key, Map<?, ?> map, String name, int current, List<String> problems) {
    if (!map.containsKey(name)) {
      return current;
    }
    Object v = map.get(name);
    if (v instanceof Long n && n >= 1 && n <= Integer.MAX_VALUE) {
      return n.intValue();
    }
    problems.add(key + ": must be a whole number of 1 or more, was " + typeOrValue(v));
    return current;
  }

  /** Checks language codes; {@code null} in (already reported) or out (problems added). */
  private static List<String> checkLanguages(
      String key, List<String> items, List<String> problems) {
    return checkDistinct(
        key,
        items,
        problems,
        lang ->
            LANGUAGE.matcher(lang).matches() && (lang.length() != 2 || ISO_639_1.contains(lang)),
        lang -> quote(lang) + " is not a lowercase ISO 639 language code such as en or nl",
        "locale");
  }

  /** Checks purpose ids; {@code null} in (already reported) or out (problems added). */
  private static List<String> checkIds(String key, List<String> items, List<String> problems) {
    return checkNames(key, items, problems, "purpose id", "purpose");
  }

  /** Checks data categories; {@code null} in (already reported) or out (problems added). */
  private static List<String> checkCategories(
      String key, List<String> items, List<String> problems) {
    return checkNames(key, items, problems, "data category", "data category");
  }

  /**
   * Checks distinct names of the one form purpose ids and data categories share; an invalid one is reported as an
   * invalid {@code noun}, a repeated one as a duplicate {@code what}.
   */
  private static List<String> checkNames(
      String key, List<String> items, List<String> problems, String noun, String what) {
    return checkDistinct(
        key,
        items,
        problems,
        name -> NAME.matcher(name).matches(),
        name -> "invalid " + noun + " " + quote(name) + " (expected [a-z][a-z0-9-]{0,62})",
        what);
  }

  /**
   * Checks a list of distinct items; {@code null} in (already reported) or out (problems added): an item that is not
   * {@code valid} is reported as {@code invalid} says, a repeated one as a duplicate {@code what}.
   */
  private static List<String> checkDistinct(
      String key,
      List<String> items,
      List<String> problems,
      Predicate<String> valid,
      Function<String, String> invalid,
      String what) {
    if (items == null) {
      return null;
    }
    int before = problems.size();
    Set<String> seen = new LinkedHashSet<>();
    for (String item : items) {
      if (!valid.test(item)) {
        problems.add(key + ": " + invalid.apply(item));
      } else if (!seen.add(item)) {
        problems.add(key + ": duplicate " + what + " " + item);
      }
    }
    return problems.size() == before ? List.copyOf(seen) : null;
  }

  /**
   * Reads recipients written {@code name | country} inside the EEA, {@code name | country | safeguard} outside it
   * (safeguard: {@code adequacy-decision}, {@code standard-contractual-clauses}, {@code binding-corporate-rules},
   * {@code explicit-consent}).
   */
  private static List<Recipient> parseRecipients(
      String key, List<String> items, List<String> problems) {
    List<Recipient> out = new ArrayList<>();
    int before = problems.size();
    for (String item : items) {
      String[] parts = item.split("\\|", -1);
      if (parts.length < 2 || parts.length > 3) {
        problems.add(
            key
                + ": "
                + quote(item.strip())
                + " must be name | country or name | country | safeguard");
        continue;
      }
      Recipient.Safeguard safeguard = null;
      if (parts.length == 3) {
        String v = parts[2].strip();
        try {
          safeguard = Recipient.Safeguard.valueOf(v.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
          problems.add(
              key
                  + ": unknown safeguard "
                  + quote(v)
                  + " (adequacy-decision, standard-contractual-clauses, binding-corporate-rules,"
                  + " explicit-consent)");
          continue;
        }
      }
      try {
        out.add(new Recipient(parts[0].strip(), parts[1].strip(), safeguard));
      } catch (IllegalArgumentException | NullPointerException e) {
        problems.add(key + ": " + e.getMessage());
      }
    }
    return problems.size() == before ? out : null;
  }

  private static LegalBasis parseLegalBasis(String key, String value, List<String> problems) {
    switch (value) {
      case "consent":
        return LegalBasis.CONSENT;
      case "explicit-consent":
        return LegalBasis.EXPLICIT_CONSENT;
      default:
        problems.add(key + ": must be consent or explicit-consent, was " + quote(value));
        return null;
    }
  }

  /**
   * Parses a retention and its proof retention; a {@code null} value was missing or invalid and is already reported.
   *
   * @return the retention, or {@code null} if either value is absent or invalid
   */
  private static Retention parseRetention(
      String key, String value, String proofKey, String proofValue, List<String> problems) {
    int before = problems.size();
    Duration period = null;
    if (value != null && !value.equals(UNTIL_WITHDRAWN)) {
      period = parsePeriod(key, value, UNTIL_WITHDRAWN + " or ", problems);
      if (period != null && period.isZero()) {
        problems.add(key + ": must be positive, was " + quote(value));
      }
    }
    Duration proof = proofValue == null ? null : parsePeriod(proofKey, proofValue, "", problems);
    if (value == null || proof == null || problems.size() != before) {
      return null;
    }
    return period == null ? Retention.untilWithdrawn(proof) : Retention.fixed(period, proof);
  }

  /**
   * Parses an ISO-8601 duration ({@code PT48H}, {@code P30D}, {@code P1DT12H}) or a period of years, months, weeks and
   * days ({@code P2Y}, {@code P6M}, {@code P1Y6M}, {@code P2W}); a year counts 365 days and a month 30.
   */
  private static Duration parsePeriod(
      String key, String value, String alternatives, List<String> problems) {
    Duration d;
    try {
      d = Duration.parse(value);
    } catch (DateTimeParseException notADuration) {
      try {
        Period p = Period.parse(value);
        d =
            Duration.ofDays(
                Math.addExact(
                    Math.addExact(
                        Math.multiplyExact(p.getYears(), 365L),
                        Math.multiplyExact(p.getMonths(), 30L)),
                    p.getDays()));
      } catch (DateTimeParseException | ArithmeticException notAPeriod) {
        problems.add(
            key
                + ": expected "
                + alternatives
                + "an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was "
                + quote(value));
        return null;
      }
    }
    if (value.indexOf('-') >= 0 || d.isNegative()) {
      problems.add(key + ": must not be negative, was " + quote(value));
      return null;
    }
    if (d.compareTo(MAX_PERIOD) > 0) {
      problems.add(key + ": must be at most 100 years (P100Y), was " + quote(value));
      return null;
    }
    return d;
  }

  private static PurposeCatalog catalog(
      List<String> languages, List<Purpose> purposes, List<String> problems) {
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    PurposeCatalog.Builder b =
        PurposeCatalog.builder()
            .locales(languages.stream().map(Locale::forLanguageTag).toArray(Locale[]::new));
    purposes.forEach(b::add);
    return b.build();
  }

  private static String quote(String value) {
    return '"' + (value.length() <= 60 ? value : value.substring(0, 60) + "...") + '"';
  }

  private static ConfigurationException configurationException(String message, Throwable cause) {
    ConfigurationException e = new ConfigurationException(message);
    e.initCause(cause);
    return e;
  }
}
