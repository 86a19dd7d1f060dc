package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core's module descriptor exports exactly the API and SPI packages: {@code org.optin4j.internal} (and anything
 * below it) is never exported, and a new package must be placed deliberately on one side or the other.
 */
final class ModuleExportsTest {

  /** The packages applications may use: the API packages of {@link ArchitectureTest#API} plus the stores and mail. */
  private static final Set<String> EXPORTED =
      Set.of(
          "org.optin4j",
          "org.optin4j.rights",
          "org.optin4j.proof",
          "org.optin4j.breach",
          "org.optin4j.campaign",
          "org.optin4j.feed",
          "org.optin4j.lists",
          "org.optin4j.keys",
          "org.optin4j.operations",
          "org.optin4j.spi",
          "org.optin4j.jdbc",
          "org.optin4j.memory",
          "org.optin4j.mail",
          "org.optin4j.text");

  @Test
  void moduleExportsTheApiAndSpiPackagesAndNothingOfInternal()
      throws IOException, URISyntaxException {
    ModuleDescriptor descriptor = descriptor();
    Set<String> exported =
        descriptor.exports().stream()
            .peek(e -> assertTrue(e.targets().isEmpty(), "no qualified exports: " + e))
            .map(ModuleDescriptor.Exports::source)
            .collect(Collectors.toCollection(TreeSet::new));
    assertEquals("org.optin4j.core", descriptor.name());
    assertEquals(new TreeSet<>(EXPORTED), exported);
    assertTrue(
        exported.stream().noneMatch(p -> p.startsWith("org.optin4j.internal")), exported::toString);
    assertTrue(descriptor.opens().isEmpty(), "nothing is opened for deep reflection");
  }

  @Test
  void everyPackageOfTheCoreIsEitherExportedOrInternal() throws IOException, URISyntaxException {
    Set<String> undecided = new TreeSet<>(descriptor().packages());
    undecided.removeAll(EXPORTED);
    undecided.removeIf(
        p -> p.equals("org.optin4j.internal") || p.startsWith("org.optin4j.internal."));
    // resource-only folders (DDL scripts, texts) are packages to the module system too
    undecided.removeIf(p -> !hasClasses(p));
    assertEquals(
        Set.of(),
        undecided,
        "place each new package in module-info.java (exported) or below internal");
  }

  private static ModuleDescriptor descriptor() throws IOException, URISyntaxException {
    try (InputStream in = Files.newInputStream(classes().resolve("module-info.class"))) {
      return ModuleDescriptor.read(in, ModuleExportsTest::packagesWithClasses);
    }
  }

  private static Set<String> packagesWithClasses() {
    try (Stream<Path> files = Files.walk(classes())) {
      Path root = classes();
      return files
          .filter(
              f ->
                  f.toString().endsWith(".class")
                      && !f.getFileName().toString().equals("module-info.class"))
          .map(f -> root.relativize(f.getParent()).toString().replace('/', '.'))
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean hasClasses(String pkg) {
    return packagesWithClasses().contains(pkg);
  }

  private static Path classes() throws URISyntaxException {
    return Path.of(OptIn.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }
}
