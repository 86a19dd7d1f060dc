package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Comments and documents cite "security rule N"; the rules are stated, with those numbers, in SECURITY.md under "The
 * numbered rules". This test keeps every such citation resolvable: it scans the repository (every module's sources and
 * resources, the documents, the build files) and fails, naming file and line, when a citation names a number that has
 * no rule heading there. Without it a renumbered or invented rule would go unnoticed, since nothing else reads these
 * numbers.
 *
 * <p>What counts as a citation: "security rule 8", "Security rules 25-27", "security rules 7 and 11", "security rules
 * 19, 20", also broken over comment lines ("security\n * rule 27"), and a plain "rule 13" in a Java comment (or a
 * non-Java file) that speaks of security rules elsewhere. Text in Java string literals is not a comment and is ignored.
 */
class SecurityRulesCitedTest {

  /** The repository root, seen from the core module (Maven runs tests in the module's base directory). */
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static final Set<String> SKIPPED_DIRECTORIES =
      Set.of("target", ".git", ".mvn", ".cifuzz-corpus", "node_modules");
  private static final Set<String> SCANNED_EXTENSIONS =
      Set.of("java", "md", "properties", "xml", "sql", "html", "yml", "yaml", "sh", "txt");

  // A number, a range or a list: "8", "25-27", "1 to 5", "19, 20", "7 and 11".
  private static final String NUMBERS = "\\d+(?:\\s*(?:-|\u2013|to|,|and|or)\\s*\\d+)*";
  // A comment that speaks of security rules at all, across comment line breaks ("security\n * rule
  // 27").
  private static final Pattern MENTIONS_SECURITY_RULES =
      Pattern.compile("(?i)\\bsecurity(?:\\s|\\*|/|#)+rules?\\b");
  // Any rule number in such a comment.
  private static final Pattern RULE_NUMBERS =
      Pattern.compile("(?i)\\brules?(?:\\s|\\*|/|#)+(" + NUMBERS + ")\\b");
  private static final Pattern ONE_OR_RANGE =
      Pattern.compile("(\\d+)(?:\\s*(?:-|\u2013|to)\\s*(\\d+))?");
  private static final Pattern RULE_HEADING =
      Pattern.compile("(?m)^#{2,6} <a id=\"rule-(\\d+)\"></a>Rule (\\d+):");

  @Test
  void citationsWhenScanningTheRepositoryThenEachNamesARuleStatedInSecurityMd() throws IOException {
    Set<Integer> rules = rulesStated(Files.readString(ROOT.resolve("SECURITY.md")));
    List<String> unknown = new ArrayList<>();
    int citations = 0;
    for (Path file : scannedFiles()) {
      String text = read(file);
      if (text == null) {
        continue;
      }
      String name = ROOT.relativize(file).toString().replace('\\', '/');
      List<Citation> found = citations(name, text, name.endsWith(".java"));
      citations += found.size();
      for (Citation c : found) {
        if (!rules.contains(c.rule())) {
          unknown.add(c.describe());
        }
      }
    }
    assertEquals(
        List.of(),
        unknown,
        "cited security rules that SECURITY.md (\"The numbered rules\") does not state;"
            + " fix the number, or state the rule there under a new number");
    // Guards the scan itself: the code cites these rules some sixty times; finding few means it
    // looked elsewhere.
    assertTrue(citations >= 40, "only " + citations + " citations found under " + ROOT);
  }

  @Test
  void securityMdWhenParsedThenRulesNumberedFromOneWithoutGapsEachUnderItsOwnAnchor()
      throws IOException {
    String securityMd = Files.readString(ROOT.resolve("SECURITY.md"));
    Matcher m = RULE_HEADING.matcher(securityMd);
    List<Integer> numbers = new ArrayList<>();
    while (m.find()) {
      assertEquals(
          m.group(1),
          m.group(2),
          "the anchor of the heading of rule " + m.group(2) + " names another number");
      numbers.add(Integer.parseInt(m.group(2)));
    }
    assertTrue(numbers.size() >= 27, "SECURITY.md states " + numbers.size() + " numbered rules");
    for (int i = 0; i < numbers.size(); i++) {
      assertEquals(
          i + 1, numbers.get(i), "rule headings must run 1, 2, 3, ... in order; found " + numbers);
    }
  }

  @Test
  void scanWhenACommentCitesARuleThatDoesNotExistThenReportsFileAndLine() {
    String source =
        String.join(
            "\n",
            "package x;", // 1
            "/**", // 2
            " * Sends mail (security rules 25-27) and checks (security", // 3
            " * rule 99).", // 4
            " */", // 5
            "class X {", // 6
            "  // Refused before parsing (security rule 5), logged never", // 7
            "  // (rule 42).", // 8
            "  String s = \"security rule 77\"; // Security rules 7 and 28", // 9
            "  char c = '\"'; /* security rules 19, 20, 30 */", // 10
            "}");
    List<String> unknown = new ArrayList<>();
    for (Citation c : citations("X.java", source, true)) {
      if (!Set.of(5, 7, 19, 20, 25, 26, 27).contains(c.rule())) {
        unknown.add(c.describe());
      }
    }
    assertEquals(
        List.of(
            "X.java:4 cites security rule 99",
            "X.java:8 cites security rule 42",
            "X.java:9 cites security rule 28",
            "X.java:10 cites security rule 30"),
        unknown);
  }

  @Test
  void scanWhenRuleNumbersAreOutsideASecurityCommentThenIgnored() {
    String source =
        String.join(
            "\n",
            "class Y {",
            "  /** RFC 5893 section 2, rules 1 to 6; CONTEXTJ rule 1. */",
            "  String s = \"security rule 99\";",
            "  String t = \"\"\"",
            "      security rule 98 \\\"\"\" still text",
            "      \"\"\";",
            "  // security rule 8",
            "}");
    List<Citation> found = citations("Y.java", source, true);
    assertEquals(
        List.of("Y.java:7 cites security rule 8"), found.stream().map(Citation::describe).toList());
  }

  @Test
  void scanWhenADocumentSpeaksOfSecurityRulesThenItsPlainRuleNumbersCountToo() {
    String doc =
        "Rule numbers here are the security rules of SECURITY.md.\n\n| table | proof (rule 16) |\n"
            + "| outbox | (rules 25-27) |\n";
    assertEquals(
        List.of(
            "jdbc.md:3 cites security rule 16",
            "jdbc.md:4 cites security rule 25",
            "jdbc.md:4 cites security rule 26",
            "jdbc.md:4 cites security rule 27"),
        citations("jdbc.md", doc, false).stream().map(Citation::describe).toList());
    assertEquals(List.of(), citations("other.md", "Section 2, rule 1 of RFC 5893.\n", false));
  }

  /** One rule number cited at one line of one file. */
  record Citation(String file, int line, int rule) {
    String describe() {
      return file + ":" + line + " cites security rule " + rule;
    }
  }

  private static Set<Integer> rulesStated(String securityMd) {
    Set<Integer> rules = new TreeSet<>();
    Matcher m = RULE_HEADING.matcher(securityMd);
    while (m.find()) {
      rules.add(Integer.parseInt(m.group(2)));
    }
    return rules;
  }

  private static List<Path> scannedFiles() throws IOException {
    List<Path> files = new ArrayList<>();
    Files.walkFileTree(
        ROOT,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            Path name = dir.getFileName();
            return name != null
                    && SKIPPED_DIRECTORIES.contains(name.toString())
                    && !dir.equals(ROOT)
                ? FileVisitResult.SKIP_SUBTREE
                : FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            boolean ciScript =
                file.getParent() != null
                    && file.getParent().getFileName() != null
                    && file.getParent().getFileName().toString().equals(".ci");
            if (attrs.isRegularFile()
                && (ciScript || dot > 0 && SCANNED_EXTENSIONS.contains(name.substring(dot + 1)))) {
              files.add(file);
            }
            return FileVisitResult.CONTINUE;
          }
        });
    files.sort(null);
    return files;
  }

  /** The file as UTF-8 text, or null if it is not (a binary file with a text extension has nothing to cite). */
  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (MalformedInputException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The rule numbers cited in a file. In Java only comments count, each on its own; any other file is read as one
   * comment (documents, build files and scripts cite rules in prose and in their own comment syntax).
   */
  static List<Citation> citations(String name, String text, boolean java) {
    int[] lineStarts = lineStarts(text);
    List<Citation> found = new ArrayList<>();
    for (int[] range : java ? javaComments(text) : List.of(new int[] {0, text.length()})) {
      String comment = text.substring(range[0], range[1]);
      if (!MENTIONS_SECURITY_RULES.matcher(comment).find()) {
        continue;
      }
      Matcher m = RULE_NUMBERS.matcher(comment);
      while (m.find()) {
        int line = lineOf(lineStarts, range[0] + m.start(1));
        for (int rule : numbers(m.group(1))) {
          found.add(new Citation(name, line, rule));
        }
      }
    }
    return found;
  }

  /** "25-27" is 25, 26, 27; "19, 20" is 19 and 20; "7 and 11" is 7 and 11. */
  private static List<Integer> numbers(String list) {
    List<Integer> numbers = new ArrayList<>();
    Matcher m = ONE_OR_RANGE.matcher(list);
    while (m.find()) {
      int from = Integer.parseInt(m.group(1));
      int to = m.group(2) == null ? from : Integer.parseInt(m.group(2));
      if (to < from || to - from > 100) {
        numbers.add(from); // not a range anyone means: check both ends
        numbers.add(to);
      } else {
        for (int n = from; n <= to; n++) {
          numbers.add(n);
        }
      }
    }
    return numbers;
  }

  /**
   * The {@code [start, end)} ranges of the comments of a Java source: block comments, and runs of line comments on
   * consecutive lines as one (a sentence wraps over them). String, text block and character literals are skipped, so
   * text in them is never taken for a comment.
   */
  private static List<int[]> javaComments(String s) {
    List<int[]> comments = new ArrayList<>();
    int n = s.length();
    int i = 0;
    while (i < n) {
      if (s.startsWith("//", i)) {
        int start = i;
        int end = lineEnd(s, i);
        while (end < n) {
          int next = end + 1;
          while (next < n && (s.charAt(next) == ' ' || s.charAt(next) == '\t')) {
            next++;
          }
          if (!s.startsWith("//", next)) {
            break;
          }
          end = lineEnd(s, next);
        }
        comments.add(new int[] {start, end});
        i = end;
      } else if (s.startsWith("/*", i)) {
        int close = s.indexOf("*/", i + 2);
        int end = close < 0 ? n : close + 2;
        comments.add(new int[] {i, end});
        i = end;
      } else if (s.startsWith("\"\"\"", i)) {
        i = skipLiteral(s, i + 3, "\"\"\"");
      } else if (s.charAt(i) == '"') {
        i = skipLiteral(s, i + 1, "\"");
      } else if (s.charAt(i) == '\'') {
        i = skipLiteral(s, i + 1, "'");
      } else {
        i++;
      }
    }
    return comments;
  }

  private static int skipLiteral(String s, int from, String close) {
    int i = from;
    while (i < s.length()) {
      if (s.charAt(i) == '\\') {
        i += 2;
      } else if (s.startsWith(close, i)) {
        return i + close.length();
      } else if (s.charAt(i) == '\n' && close.length() == 1) {
        return i; // an unterminated one-line literal: do not swallow the rest of the file
      } else {
        i++;
      }
    }
    return s.length();
  }

  private static int lineEnd(String s, int from) {
    int nl = s.indexOf('\n', from);
    return nl < 0 ? s.length() : nl;
  }

  private static int[] lineStarts(String s) {
    List<Integer> starts = new ArrayList<>(List.of(0));
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        starts.add(i + 1);
      }
    }
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int lineOf(int[] lineStarts, int offset) {
    int i = Arrays.binarySearch(lineStarts, offset);
    return (i >= 0 ? i : -i - 2) + 1;
  }
}
