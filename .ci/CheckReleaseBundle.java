import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks a Maven Central bundle against Central's documented requirements
 * (https://central.sonatype.org/publish/requirements/) and against the list of published modules.
 *
 * <p>Run with the JDK alone (single-file source launch, no build): {@code java .ci/CheckReleaseBundle.java BUNDLE
 * EFFECTIVE-POMS.xml}, where BUNDLE is the bundle folder (a Maven repository on disk) or its zip, and the second file is {@code help:effective-pom -Doutput=...} of the whole reactor. A module
 * is expected in the bundle unless its effective POM sets {@code optin4j.publish.skip} to true, the one switch the
 * build itself reads, so a new module is expected without being listed here.
 *
 * <p>Per artifact: the POM; for a jar module also the jar, sources, javadoc and the CycloneDX SBOM (json and xml);
 * every file with a {@code .asc} signature (verified by .ci/check-release-bundle with gpg) and md5 and sha1 checksums,
 * and every checksum present (sha256, sha512 too) matching the file; repository metadata ({@code maven-metadata.xml})
 * is not part of a bundle and is passed over; the jars carry {@code META-INF/LICENSE}. Per POM, following its parent inside the
 * bundle as Central does: name, description, url, a licence with name and url, a developer with a name, scm url,
 * connection and developerConnection, and issueManagement url. Exits 1 naming every problem, 0 with a summary.
 */
public final class CheckReleaseBundle {
  /** Central requires md5 and sha1; sha256 and sha512 are checked where present. */
  private static final List<String> REQUIRED_CHECKSUMS = List.of("md5", "sha1");
  private static final List<String> CHECKSUMS = List.of("md5", "sha1", "sha256", "sha512");
  private static final Map<String, String> DIGESTS =
      Map.of("md5", "MD5", "sha1", "SHA-1", "sha256", "SHA-256", "sha512", "SHA-512");
  /** Field of a POM (path of child elements) and what Central or we require of it. */
  private static final Map<String, String> REQUIRED_POM_FIELDS = new LinkedHashMap<>();

  static {
    REQUIRED_POM_FIELDS.put("name", "a name");
    REQUIRED_POM_FIELDS.put("description", "a description");
    REQUIRED_POM_FIELDS.put("url", "a project url");
    REQUIRED_POM_FIELDS.put("licenses/license/name", "a licence name");
    REQUIRED_POM_FIELDS.put("licenses/license/url", "a licence url");
    REQUIRED_POM_FIELDS.put("developers/developer/name", "a developer name");
    REQUIRED_POM_FIELDS.put("scm/url", "scm/url");
    REQUIRED_POM_FIELDS.put("scm/connection", "scm/connection");
    REQUIRED_POM_FIELDS.put("scm/developerConnection", "scm/developerConnection");
    REQUIRED_POM_FIELDS.put("issueManagement/url", "issueManagement/url");
  }

  private final List<String> problems = new ArrayList<>();

  private CheckReleaseBundle() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: java .ci/CheckReleaseBundle.java BUNDLE-FOLDER-OR-ZIP EFFECTIVE-POMS.xml");
      System.exit(2);
    }
    CheckReleaseBundle check = new CheckReleaseBundle();
    String summary = check.run(Path.of(args[0]), Path.of(args[1]));
    if (!check.problems.isEmpty()) {
      System.err.println("release bundle: " + check.problems.size() + " problem(s) in " + args[0] + ":");
      check.problems.forEach(p -> System.err.println("  - " + p));
      System.exit(1);
    }
    System.out.println(summary);
  }

  private record Module(String groupId, String artifactId, String version, String packaging) {
    String dir() {
      return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/";
    }

    String base() {
      return artifactId + "-" + version;
    }
  }

  private String run(Path bundle, Path effectivePoms) throws Exception {
    List<Module> expected = new ArrayList<>();
    List<Module> unpublished = new ArrayList<>();
    for (Element project : children(parse(Files.readAllBytes(effectivePoms)).getDocumentElement(), "project", true)) {
      Module module = new Module(text(project, "groupId"), text(project, "artifactId"), text(project, "version"),
          text(project, "packaging").isEmpty() ? "jar" : text(project, "packaging"));
      ("true".equals(text(project, "properties/optin4j.publish.skip")) ? unpublished : expected).add(module);
      if (module.version().endsWith("-SNAPSHOT")) {
        problems.add(module.artifactId() + ": version " + module.version() + " (Central takes no SNAPSHOT in a bundle;"
            + " .ci/check-release-bundle without arguments builds a copy without -SNAPSHOT)");
      }
    }
    if (expected.isEmpty()) {
      problems.add("no published module found in " + effectivePoms);
    }

    Map<String, byte[]> files = new TreeMap<>();
    if (Files.isDirectory(bundle)) {
      try (var walk = Files.walk(bundle)) {
        for (Path file : walk.filter(Files::isRegularFile).toList()) {
          files.put(bundle.relativize(file).toString().replace('\\', '/'), Files.readAllBytes(file));
        }
      }
    } else {
      try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(bundle))) {
        for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
          if (!entry.isDirectory()) {
            files.put(entry.getName(), zip.readAllBytes());
          }
        }
      }
    }
    files.keySet().removeIf(name -> name.substring(name.lastIndexOf('/') + 1).startsWith("maven-metadata"));
    if (files.isEmpty()) {
      problems.add("the bundle " + bundle + " is empty");
    }

    for (Module module : unpublished) {
      files.keySet().stream().filter(f -> f.startsWith(module.dir())).findFirst().ifPresent(f ->
          problems.add(module.artifactId() + " is not published (optin4j.publish.skip) but is in the bundle: " + f));
    }
    for (Module module : expected) {
      List<String> required = new ArrayList<>(List.of(module.base() + ".pom"));
      if (!module.packaging().equals("pom")) {
        for (String suffix : List.of(".jar", "-sources.jar", "-javadoc.jar", "-cyclonedx.json", "-cyclonedx.xml")) {
          required.add(module.base() + suffix);
        }
      }
      for (String name : required) {
        if (!files.containsKey(module.dir() + name)) {
          problems.add(module.artifactId() + ": missing " + module.dir() + name);
        }
      }
      byte[] pom = files.get(module.dir() + module.base() + ".pom");
      if (pom != null) {
        checkPomMetadata(module, parse(pom), files);
      }
    }

    int signed = 0;
    for (Map.Entry<String, byte[]> file : files.entrySet()) {
      String name = file.getKey();
      if (name.endsWith(".asc") || CHECKSUMS.stream().anyMatch(c -> name.endsWith("." + c))) {
        continue;
      }
      signed++;
      if (!files.containsKey(name + ".asc")) {
        problems.add(name + ": no signature (" + name + ".asc)");
      }
      for (String checksum : CHECKSUMS) {
        byte[] expectedSum = files.get(name + "." + checksum);
        if (expectedSum == null) {
          if (REQUIRED_CHECKSUMS.contains(checksum)) {
            problems.add(name + ": no " + checksum + " checksum");
          }
        } else if (!new String(expectedSum, StandardCharsets.US_ASCII).trim().startsWith(digest(checksum, file.getValue()))) {
          problems.add(name + ": " + checksum + " checksum does not match the file");
        }
      }
      if (name.endsWith(".jar") && !name.endsWith("-javadoc.jar") && !containsEntry(file.getValue(), "META-INF/LICENSE")) {
        problems.add(name + ": no META-INF/LICENSE");
      }
    }

    TreeSet<String> names = new TreeSet<>();
    expected.forEach(m -> names.add(m.artifactId()));
    return "release bundle OK: " + bundle + ": " + names + ", " + signed + " files, each signed, with "
        + String.join(" and ", REQUIRED_CHECKSUMS) + " checksums, every checksum matching; POM metadata complete";
  }

  /** Central reads a field from the POM or, when absent, from its parent (which must be in the bundle too). */
  private void checkPomMetadata(Module module, Document pom, Map<String, byte[]> files) throws Exception {
    List<Element> chain = new ArrayList<>(List.of(pom.getDocumentElement()));
    for (Element current = pom.getDocumentElement(); !text(current, "parent/artifactId").isEmpty(); ) {
      Module parent = new Module(text(current, "parent/groupId"), text(current, "parent/artifactId"),
          text(current, "parent/version"), "pom");
      byte[] parentPom = files.get(parent.dir() + parent.base() + ".pom");
      if (parentPom == null) {
        problems.add(module.artifactId() + ": its parent " + parent.artifactId() + " " + parent.version()
            + " is not in the bundle");
        break;
      }
      current = parse(parentPom).getDocumentElement();
      chain.add(current);
    }
    for (Map.Entry<String, String> field : REQUIRED_POM_FIELDS.entrySet()) {
      String value = chain.stream().map(e -> text(e, field.getKey())).filter(v -> !v.isBlank()).findFirst().orElse("");
      if (value.isBlank()) {
        problems.add(module.artifactId() + ": POM lacks " + field.getValue() + " (" + field.getKey() + ")");
      } else if (value.contains("${")) {
        problems.add(module.artifactId() + ": POM " + field.getKey() + " is not interpolated: " + value);
      }
    }
  }

  private static boolean containsEntry(byte[] jar, String name) throws IOException {
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar))) {
      for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
        if (entry.getName().equals(name)) {
          return true;
        }
      }
    }
    return false;
  }

  private static String digest(String checksum, byte[] content) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance(DIGESTS.get(checksum)).digest(content));
  }

  private static Document parse(byte[] xml) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    try (InputStream in = new ByteArrayInputStream(xml)) {
      return factory.newDocumentBuilder().parse(in);
    }
  }

  /** Text of the first element at a path of child element names, "" when there is none. */
  private static String text(Element from, String path) {
    Element current = from;
    for (String step : path.split("/")) {
      List<Element> next = children(current, step, false);
      if (next.isEmpty()) {
        return "";
      }
      current = next.get(0);
    }
    return current.getTextContent().trim();
  }

  /** Child elements with a name; with deep, all descendants with it (the projects of an effective-pom file). */
  private static List<Element> children(Element parent, String name, boolean deep) {
    List<Element> result = new ArrayList<>();
    if (deep) {
      org.w3c.dom.NodeList all = parent.getElementsByTagName(name);
      for (int i = 0; i < all.getLength(); i++) {
        result.add((Element) all.item(i));
      }
      if (parent.getTagName().equals(name)) {
        result.add(0, parent);
      }
      return result;
    }
    for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
      if (child instanceof Element element && element.getTagName().equals(name)) {
        result.add(element);
      }
    }
    return result;
  }
}
