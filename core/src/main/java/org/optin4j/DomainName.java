package org.optin4j;

import java.lang.Character.UnicodeScript;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Converts domain names between their Unicode form (U-labels) and the ASCII form that DNS and SMTP use (A-labels), per
 * IDNA 2008 (RFC 5890-5893) with the nontransitional mapping of UTS 46: {@code straße.de} becomes
 * {@code xn--strae-oqa.de}, not {@code strasse.de} (a different domain) as IDNA 2003 and {@link java.net.IDN} make it.
 *
 * <p>Why not a library: ICU4J ({@code com.ibm.icu.text.IDNA.getUTS46Instance}) is the well-kept implementation, but
 * it is a 14 MB jar for one method, and the core's dependency list stays short. {@link java.net.IDN} implements IDNA
 * 2003 only: it maps the deviation characters (ß, ς, ZWJ, ZWNJ) away and its {@code toUnicode} does not accept an
 * A-label that IDNA 2008 made from them. So this class does the subset an email address needs, and refuses what it
 * does not handle rather than guess:
 *
 * <ul>
 *   <li>mapping (UTS 46 section 4, approximated): compatibility forms folded (NFKC, so full-width letters and the
 *       ideographic full stop count as their plain forms), upper case lowered code point by code point (no final-sigma
 *       rule, as in UTS 46), NFC; the deviation characters are kept (nontransitional processing);
 *   <li>validity (RFC 5891 section 5.4 and RFC 5892, from the JDK's Unicode character data): a label holds lowercase
 *       and other letters, marks and decimal digits, and the hyphen; it does not start with a mark, start or end with a
 *       hyphen, or have hyphens in positions 3 and 4 unless it is an A-label; ZWJ and ZWNJ only right after a virama
 *       (CONTEXTJ rule 1; ZWNJ's joining-type rule, which needs data the JDK lacks, is not implemented, so such labels
 *       are refused); of the CONTEXTO characters only the Catalan middle dot between two l, the Greek keraia before a
 *       Greek letter, the Hebrew geresh and gershayim after a Hebrew letter, and the katakana middle dot in a Japanese
 *       label; unassigned code points are refused;
 *   <li>the Bidi rule of RFC 5893 for every label of a domain that has a right-to-left label;
 *   <li>one script per label (UTS 39, "highly restrictive"): Latin, Cyrillic and Greek letters never share a label, as
 *       in a look-alike {@code pаypal.example} with a Cyrillic а; Han with Hiragana and Katakana, with Bopomofo, or
 *       with Hangul, each with Latin, are allowed;
 *   <li>round trip: each A-label, decoded and encoded again (RFC 3492 Punycode), gives itself, and its U-label is
 *       valid and already mapped; an A-label typed as such is held to the same rules as the U-label it stands for.
 * </ul>
 *
 * <p>All static and stateless; thread-safe.
 */
final class DomainName {
  private static final int ZWNJ = 0x200C;
  private static final int ZWJ = 0x200D;
  private static final Set<UnicodeScript> NEUTRAL =
      EnumSet.of(UnicodeScript.COMMON, UnicodeScript.INHERITED);
  private static final Set<UnicodeScript> JAPANESE =
      EnumSet.of(UnicodeScript.HIRAGANA, UnicodeScript.KATAKANA, UnicodeScript.HAN);
  private static final List<Set<UnicodeScript>> ALLOWED_MIXES =
      List.of(
          EnumSet.of(
              UnicodeScript.LATIN,
              UnicodeScript.HAN,
              UnicodeScript.HIRAGANA,
              UnicodeScript.KATAKANA),
          EnumSet.of(UnicodeScript.LATIN, UnicodeScript.HAN, UnicodeScript.BOPOMOFO),
          EnumSet.of(UnicodeScript.LATIN, UnicodeScript.HAN, UnicodeScript.HANGUL));

  private DomainName() {}

  /**
   * The outcome of {@link #toAscii(String)}: the ASCII domain, or why there is none.
   *
   * @param ascii the domain in lowercase ASCII with A-labels, or {@code null}
   * @param problem why the domain was refused (free of the input), or {@code null}
   */
  record Conversion(String ascii, String problem) {
    static Conversion refused(String problem) {
      return new Conversion(null, problem);
    }
  }

  /**
   * Converts a domain as typed (U-labels, A-labels, or plain ASCII, any case) to lowercase ASCII with A-labels. Plain
   * ASCII labels are only lowercased: their syntax is checked by the caller, as before internationalised input.
   */
  static Conversion toAscii(String domain) {
    String mapped = domain.replace('\u3002', '.').replace('\uFF0E', '.').replace('\uFF61', '.');
    if (isAscii(mapped)
        && !mapped.regionMatches(true, 0, "xn--", 0, 4)
        && !mapped.toLowerCase(Locale.ROOT).contains(".xn--")) {
      return new Conversion(
          mapped.toLowerCase(Locale.ROOT), null); // the common case: nothing to convert or check
    }
    String[] labels = mapped.split("\\.", -1);
    List<String> unicode = new ArrayList<>(labels.length);
    List<String> ascii = new ArrayList<>(labels.length);
    for (String label : labels) {
      if (isAscii(label)) {
        String lower = label.toLowerCase(Locale.ROOT);
        ascii.add(lower);
        if (lower.startsWith("xn--")) {
          String decoded = Punycode.decode(lower.substring(4));
          if (decoded == null
              || isAscii(decoded)
              || !decoded.equals(map(decoded))
              || !lower.equals("xn--" + Punycode.encode(decoded))) {
            return Conversion.refused(
                "domain has an A-label that is not valid Punycode of a mapped U-label");
          }
          unicode.add(decoded);
        } else {
          unicode.add(lower);
        }
        continue;
      }
      String u = map(label);
      if (u.indexOf('.')
          >= 0) { // NFKC made a dot, as from U+2488 DIGIT ONE FULL STOP: it would add a label
        return Conversion.refused("domain has a character that IDNA 2008 does not allow");
      }
      if (isAscii(u)) { // a full-width or otherwise compatibility-spelled ASCII label
        ascii.add(u);
        unicode.add(u);
        continue;
      }
      String encoded = Punycode.encode(u);
      if (encoded == null || !u.equals(Punycode.decode(encoded))) {
        return Conversion.refused(
            "domain has a label that does not survive a round trip through Punycode");
      }
      ascii.add("xn--" + encoded);
      unicode.add(u);
    }
    boolean bidiDomain = unicode.stream().anyMatch(DomainName::hasRightToLeft);
    for (String u : unicode) {
      if (u.isEmpty() || (isAscii(u) && !bidiDomain)) {
        continue;
      }
      String problem = isAscii(u) ? null : labelProblem(u);
      if (problem == null && bidiDomain && !bidiRuleHolds(u)) {
        problem = "domain breaks the Bidi rule of RFC 5893";
      }
      if (problem != null) {
        return Conversion.refused(problem);
      }
    }
    return new Conversion(String.join(".", ascii), null);
  }

  /**
   * The domain with each A-label shown as its U-label, for people to read. A label that does not decode (possible only
   * for a value stored before this class checked A-labels) stays as it is.
   */
  static String toUnicode(String asciiDomain) {
    if (!asciiDomain.contains("xn--")) {
      return asciiDomain;
    }
    String[] labels = asciiDomain.split("\\.", -1);
    for (int i = 0; i < labels.length; i++) {
      if (labels[i].startsWith("xn--")) {
        String decoded = Punycode.decode(labels[i].substring(4));
        if (decoded != null) {
          labels[i] = decoded;
        }
      }
    }
    return String.join(".", labels);
  }

  /**
   * UTS 46 mapping, approximated: NFKC, then lowercase by code point (U+0130 to {@code i} and a combining dot, as its
   * full lowercase mapping says), then NFC. Deviation characters pass unchanged: nothing here maps ß, ς, ZWJ or ZWNJ.
   */
  static String map(String label) {
    String nfkc = Normalizer.normalize(label, Normalizer.Form.NFKC);
    StringBuilder lower = new StringBuilder(nfkc.length());
    nfkc.codePoints()
        .forEach(
            cp -> {
              if (cp == 0x130) {
                lower.append("i\u0307");
              } else {
                lower.appendCodePoint(Character.toLowerCase(cp));
              }
            });
    return Normalizer.normalize(lower, Normalizer.Form.NFC);
  }

  /** Whether a non-ASCII text keeps to one script, or one of the mixes UTS 39 calls highly restrictive. */
  static boolean singleScript(String text) {
    Set<UnicodeScript> scripts = EnumSet.noneOf(UnicodeScript.class);
    text.codePoints().forEach(cp -> scripts.add(UnicodeScript.of(cp)));
    scripts.removeAll(NEUTRAL);
    if (scripts.size() <= 1) {
      return true;
    }
    return ALLOWED_MIXES.stream().anyMatch(mix -> mix.containsAll(scripts));
  }

  private static String labelProblem(String u) {
    if (u.startsWith("-") || u.endsWith("-")) {
      return "domain has a label that starts or ends with a hyphen";
    }
    if (u.length() >= 4 && u.charAt(2) == '-' && u.charAt(3) == '-') {
      return "domain has a label with hyphens in positions 3 and 4";
    }
    int[] cps = u.codePoints().toArray();
    if (isMark(cps[0])) {
      return "domain has a label that starts with a combining mark";
    }
    for (int i = 0; i < cps.length; i++) {
      int cp = cps[i];
      if (!valid(cps, i)) {
        return cp == ZWJ || cp == ZWNJ
            ? "domain has a joiner character outside the context IDNA 2008 allows"
            : "domain has a character that IDNA 2008 does not allow";
      }
    }
    if (!singleScript(u)) {
      return "domain mixes scripts in one label";
    }
    return null;
  }

  private static boolean valid(int[] cps, int i) {
    int cp = cps[i];
    if (cp < 0x80) {
      return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || cp == '-';
    }
    switch (cp) {
      case ZWJ, ZWNJ:
        return i > 0 && isVirama(cps[i - 1]);
      case 0x00B7: // MIDDLE DOT, RFC 5892 A.3: only in Catalan l·l
        return i > 0 && i < cps.length - 1 && cps[i - 1] == 'l' && cps[i + 1] == 'l';
      case 0x0375: // GREEK LOWER NUMERAL SIGN (KERAIA), A.4
        return i < cps.length - 1 && UnicodeScript.of(cps[i + 1]) == UnicodeScript.GREEK;
      case 0x05F3, 0x05F4: // HEBREW PUNCTUATION GERESH and GERSHAYIM, A.5 and A.6
        return i > 0 && UnicodeScript.of(cps[i - 1]) == UnicodeScript.HEBREW;
      case 0x30FB: // KATAKANA MIDDLE DOT, A.7
        return Arrays.stream(cps)
            .anyMatch(c -> c != 0x30FB && JAPANESE.contains(UnicodeScript.of(c)));
      default:
        break;
    }
    return isLowercaseLetterMarkOrDigit(cp);
  }

  /**
   * Lowercase and other letters, marks and decimal digits: the general categories a label may hold beyond ASCII
   * (RFC 5892, from the JDK's character data). {@link EmailAddress} builds its local-part rule on this one, so that
   * the two cannot drift apart.
   */
  static boolean isLowercaseLetterMarkOrDigit(int cp) {
    return switch (Character.getType(cp)) {
      case Character.LOWERCASE_LETTER,
          Character.OTHER_LETTER,
          Character.MODIFIER_LETTER,
          Character.NON_SPACING_MARK,
          Character.COMBINING_SPACING_MARK,
          Character.DECIMAL_DIGIT_NUMBER ->
          true;
      default -> false;
    };
  }

  /**
   * Canonical combining class 9 (virama), which the JDK does not expose: the Unicode names of those characters say
   * VIRAMA, except for the few listed by name.
   */
  private static boolean isVirama(int cp) {
    String name = Character.getName(cp);
    return name != null
        && (name.contains("VIRAMA")
            || name.endsWith("SIGN AL-LAKUNA")
            || name.endsWith("SIGN COENG")
            || name.endsWith("SIGN ASAT")
            || name.endsWith("SIGN PAMUDPOD")
            || name.endsWith("SIGN HALANTA"));
  }

  private static boolean isMark(int cp) {
    int t = Character.getType(cp);
    return t == Character.NON_SPACING_MARK
        || t == Character.COMBINING_SPACING_MARK
        || t == Character.ENCLOSING_MARK;
  }

  private static boolean hasRightToLeft(String label) {
    return label
        .codePoints()
        .anyMatch(
            cp -> {
              byte d = Character.getDirectionality(cp);
              return d == Character.DIRECTIONALITY_RIGHT_TO_LEFT
                  || d == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC
                  || d == Character.DIRECTIONALITY_ARABIC_NUMBER;
            });
  }

  /** RFC 5893 section 2, rules 1 to 6. */
  private static boolean bidiRuleHolds(String label) {
    int[] d = label.codePoints().map(Character::getDirectionality).toArray();
    byte first = (byte) d[0];
    int end = d.length - 1;
    while (end > 0 && d[end] == Character.DIRECTIONALITY_NONSPACING_MARK) {
      end--;
    }
    if (first == Character.DIRECTIONALITY_RIGHT_TO_LEFT
        || first == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC) {
      boolean european = false;
      boolean arabic = false;
      for (int x : d) {
        switch ((byte) x) {
          case Character.DIRECTIONALITY_RIGHT_TO_LEFT,
              Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC -> {}
          case Character.DIRECTIONALITY_EUROPEAN_NUMBER -> european = true;
          case Character.DIRECTIONALITY_ARABIC_NUMBER -> arabic = true;
          default -> {
            if (!allowedInEitherDirection((byte) x)) {
              return false;
            }
          }
        }
      }
      byte last = (byte) d[end];
      return !(european && arabic)
          && (last == Character.DIRECTIONALITY_RIGHT_TO_LEFT
              || last == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC
              || last == Character.DIRECTIONALITY_EUROPEAN_NUMBER
              || last == Character.DIRECTIONALITY_ARABIC_NUMBER);
    }
    if (first != Character.DIRECTIONALITY_LEFT_TO_RIGHT) {
      return false;
    }
    for (int x : d) {
      if (x != Character.DIRECTIONALITY_LEFT_TO_RIGHT
          && x != Character.DIRECTIONALITY_EUROPEAN_NUMBER
          && !allowedInEitherDirection((byte) x)) {
        return false;
      }
    }
    byte last = (byte) d[end];
    return last == Character.DIRECTIONALITY_LEFT_TO_RIGHT
        || last == Character.DIRECTIONALITY_EUROPEAN_NUMBER;
  }

  /** The Bidi classes RFC 5893 allows in a right-to-left label (rule 2) and a left-to-right one (rule 5) alike. */
  private static boolean allowedInEitherDirection(byte directionality) {
    return switch (directionality) {
      case Character.DIRECTIONALITY_EUROPEAN_NUMBER_SEPARATOR,
          Character.DIRECTIONALITY_COMMON_NUMBER_SEPARATOR,
          Character.DIRECTIONALITY_EUROPEAN_NUMBER_TERMINATOR,
          Character.DIRECTIONALITY_OTHER_NEUTRALS,
          Character.DIRECTIONALITY_BOUNDARY_NEUTRAL,
          Character.DIRECTIONALITY_NONSPACING_MARK ->
          true;
      default -> false;
    };
  }

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /** RFC 3492 Punycode with the IDNA parameters (section 5). */
  static final class Punycode {
    private static final int BASE = 36;
    private static final int TMIN = 1;
    private static final int TMAX = 26;
    private static final int SKEW = 38;
    private static final int DAMP = 700;
    private static final int INITIAL_BIAS = 72;
    private static final int INITIAL_N = 128;

    private Punycode() {}

    /** Encodes a label; {@code null} on overflow (only for absurdly long input). */
    static String encode(String input) {
      int[] cps = input.codePoints().toArray();
      StringBuilder out = new StringBuilder();
      for (int cp : cps) {
        if (cp < 0x80) {
          out.append((char) cp);
        }
      }
      int basic = out.length();
      int handled = basic;
      if (basic > 0) {
        out.append('-');
      }
      int n = INITIAL_N;
      long delta = 0;
      int bias = INITIAL_BIAS;
      while (handled < cps.length) {
        int m = Integer.MAX_VALUE;
        for (int cp : cps) {
          if (cp >= n && cp < m) {
            m = cp;
          }
        }
        delta += (long) (m - n) * (handled + 1);
        if (delta > Integer.MAX_VALUE) {
          return null;
        }
        n = m;
        for (int cp : cps) {
          if (cp < n && ++delta > Integer.MAX_VALUE) {
            return null;
          }
          if (cp == n) {
            long q = delta;
            for (int k = BASE; ; k += BASE) {
              int t = k <= bias ? TMIN : Math.min(k - bias, TMAX);
              if (q < t) {
                break;
              }
              out.append(digit((int) (t + (q - t) % (BASE - t))));
              q = (q - t) / (BASE - t);
            }
            out.append(digit((int) q));
            bias = adapt((int) delta, handled + 1, handled == basic);
            delta = 0;
            handled++;
          }
        }
        delta++;
        n++;
      }
      return out.toString();
    }

    /** Decodes a label (without {@code xn--}); {@code null} if it is not valid Punycode. */
    static String decode(String input) {
      int b = input.lastIndexOf('-');
      List<Integer> out = new ArrayList<>();
      for (int j = 0; j < Math.max(b, 0); j++) {
        char c = input.charAt(j);
        if (c >= 0x80) {
          return null;
        }
        out.add((int) c);
      }
      int n = INITIAL_N;
      long i = 0;
      int bias = INITIAL_BIAS;
      int in = b > 0 ? b + 1 : 0;
      while (in < input.length()) {
        long oldi = i;
        long w = 1;
        for (int k = BASE; ; k += BASE) {
          if (in >= input.length()) {
            return null;
          }
          int digit = value(input.charAt(in++));
          if (digit < 0) {
            return null;
          }
          i += digit * w;
          if (i > Integer.MAX_VALUE) {
            return null;
          }
          int t = k <= bias ? TMIN : Math.min(k - bias, TMAX);
          if (digit < t) {
            break;
          }
          w *= BASE - t;
          if (w > Integer.MAX_VALUE) {
            return null;
          }
        }
        bias = adapt((int) (i - oldi), out.size() + 1, oldi == 0);
        n += (int) (i / (out.size() + 1));
        if (n > Character.MAX_CODE_POINT || (n >= 0xD800 && n <= 0xDFFF)) {
          return null;
        }
        i %= out.size() + 1;
        out.add((int) i, n);
        i++;
      }
      StringBuilder s = new StringBuilder(out.size());
      out.forEach(s::appendCodePoint);
      return s.toString();
    }

    private static int adapt(int delta, int numPoints, boolean first) {
      int d = first ? delta / DAMP : delta / 2;
      d += d / numPoints;
      int k = 0;
      while (d > ((BASE - TMIN) * TMAX) / 2) {
        d /= BASE - TMIN;
        k += BASE;
      }
      return k + (BASE - TMIN + 1) * d / (d + SKEW);
    }

    private static char digit(int d) {
      return (char) (d < 26 ? 'a' + d : '0' + d - 26);
    }

    private static int value(char c) {
      if (c >= '0' && c <= '9') {
        return c - '0' + 26;
      }
      if (c >= 'a' && c <= 'z') {
        return c - 'a';
      }
      if (c >= 'A' && c <= 'Z') {
        return c - 'A';
      }
      return -1;
    }
  }
}
