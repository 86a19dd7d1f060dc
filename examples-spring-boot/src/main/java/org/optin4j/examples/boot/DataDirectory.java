package org.optin4j.examples.boot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The data folder ({@code bakery.data-dir}, by default {@code data/spring-boot} under the directory the app starts
 * in): the H2 database file and optin4j's three secrets, each 32 random bytes in base64, generated on the first start
 * into a file only its owner can read. {@code application.properties} hands them to the starter as
 * {@code optin4j.*.file}, as a real deployment would with its own files:
 *
 * <ul>
 *   <li>{@code signing.key}: signs the links in mails; a new key makes every link sent earlier invalid;
 *   <li>{@code form.key}: signs the form tokens of the hosted pages (optin4j's own CSRF protection);
 *   <li>{@code suppression.pepper}: keys the hashes of erased addresses; a new pepper forgets every erasure.
 * </ul>
 *
 * <p>Runs once, before the first bean is made; the folder's absolute path replaces {@code bakery.data-dir}, so that
 * the H2 URL and the key files do not depend on how it was written.
 */
final class DataDirectory implements ApplicationContextInitializer<ConfigurableApplicationContext> {
  static final String PROPERTY = "bakery.data-dir";
  static final List<String> SECRETS = List.of("signing.key", "form.key", "suppression.pepper");

  private final SecureRandom random = new SecureRandom();

  @Override
  public void initialize(ConfigurableApplicationContext context) {
    ConfigurableEnvironment env = context.getEnvironment();
    Path dir = Path.of(env.getProperty(PROPERTY, "data/spring-boot")).toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir, owner("rwx------"));
      for (String name : SECRETS) {
        generateIfAbsent(dir.resolve(name));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(PROPERTY + ": cannot use " + dir + ": " + e.getMessage(), e);
    }
    env.getPropertySources()
        .addFirst(new MapPropertySource("bakeryDataDirectory", Map.of(PROPERTY, dir.toString())));
  }

  private void generateIfAbsent(Path file) throws IOException {
    if (Files.exists(file)) {
      return;
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    try {
      // Created owner-only from the start, so that the secret is never readable by others.
      Files.createFile(file, owner("rw-------"));
    } catch (FileAlreadyExistsException raced) {
      return;
    }
    Files.writeString(
        file, Base64.getEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII);
  }

  /** Owner-only permissions where the file system has POSIX permissions, none (the defaults) elsewhere. */
  private static FileAttribute<?>[] owner(String permissions) {
    boolean posix =
        java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    return posix
        ? new FileAttribute<?>[] {
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))
        }
        : new FileAttribute<?>[0];
  }
}
