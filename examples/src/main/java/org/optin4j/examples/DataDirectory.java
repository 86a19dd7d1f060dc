package org.optin4j.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.optin4j.keys.SigningKeys;

/**
 * The data folder: the H2 database and the three secrets the app needs to keep across restarts. Each secret is 32
 * bytes from {@link SecureRandom}, generated on first run and written (atomically) to a file only the owner can read.
 *
 * <ul>
 *   <li>{@code signing.key}: signs the links in mails; a new key makes every link sent earlier invalid;
 *   <li>{@code form.key}: signs the form tokens (CSRF) of the hosted pages and the drop-in;
 *   <li>{@code suppression.pepper}: keys the hashes of erased addresses; a new pepper forgets every erasure.
 * </ul>
 *
 * <p>Not thread-safe; used once at start-up.
 */
final class DataDirectory {
  private static final Set<PosixFilePermission> OWNER_FILE =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_DIR =
      PosixFilePermissions.fromString("rwx------");

  private final Path dir;
  private final SecureRandom random = new SecureRandom();
  private final List<String> report = new ArrayList<>();

  private DataDirectory(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens the folder, creating it (owner-only) if it does not exist.
   *
   * @param dir the folder
   * @return the data folder
   * @throws UncheckedIOException if it cannot be created or is not writable
   */
  static DataDirectory open(Path dir) {
    DataDirectory d = new DataDirectory(dir);
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        d.restrict(dir, OWNER_DIR);
        d.report.add("created data folder " + dir + " (owner-only)");
      }
      if (!Files.isWritable(dir)) {
        throw new IOException("not writable");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "OPTIN4J_DATA_DIR: cannot use " + dir + ": " + e.getMessage(), e);
    }
    return d;
  }

  Path path() {
    return dir;
  }

  /** What start-up did to the folder, one line each: created, generated, tightened. */
  List<String> report() {
    return List.copyOf(report);
  }

  SigningKeys signingKeys() {
    return SigningKeys.builder().active("k1", secret("signing.key", "link signing key")).build();
  }

  byte[] formKey() {
    return secret("form.key", "form key");
  }

  byte[] suppressionPepper() {
    return secret("suppression.pepper", "suppression pepper");
  }

  /** Reads a secret, or generates and stores it on first run. */
  private byte[] secret(String fileName, String what) {
    Path file = dir.resolve(fileName);
    try {
      if (!Files.exists(file)) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        Path tmp = Files.createTempFile(dir, fileName, ".tmp");
        try {
          restrict(tmp, OWNER_FILE);
          Files.writeString(
              tmp, Base64.getEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII);
          try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
          } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file);
          }
        } catch (FileAlreadyExistsException raced) {
          Files.deleteIfExists(tmp);
          return secret(fileName, what);
        } finally {
          Files.deleteIfExists(tmp);
        }
        report.add(
            "generated " + what + " in " + file + " (owner-only; keep it, and keep it secret)");
        return secret;
      }
      if (tightenIfLoose(file)) {
        report.add("tightened permissions of " + file + " to owner-only");
      }
      byte[] secret =
          Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
      if (secret.length < 32) {
        throw new IllegalStateException(
            "OPTIN4J_DATA_DIR: "
                + file
                + " holds "
                + secret.length * 8
                + " bits, at least 256 are needed");
      }
      return secret;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "OPTIN4J_DATA_DIR: cannot read or write " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "OPTIN4J_DATA_DIR: "
              + file
              + " is not base64; delete it to generate a new "
              + what
              + " (see its meaning in the README)",
          e);
    }
  }

  private void restrict(Path p, Set<PosixFilePermission> perms) throws IOException {
    if (Files.getFileAttributeView(p, PosixFileAttributeView.class) != null) {
      Files.setPosixFilePermissions(p, perms);
    } else {
      // Not POSIX (Windows): owner-only through the basic flags, as well as they go.
      var f = p.toFile();
      boolean ok =
          f.setReadable(false, false)
              & f.setReadable(true, true)
              & f.setWritable(false, false)
              & f.setWritable(true, true);
      if (!ok) {
        report.add("could not restrict " + p + " to its owner; check its permissions");
      }
    }
  }

  private boolean tightenIfLoose(Path file) throws IOException {
    if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
      return false;
    }
    if (Files.getPosixFilePermissions(file).equals(OWNER_FILE)) {
      return false;
    }
    Files.setPosixFilePermissions(file, OWNER_FILE);
    return true;
  }
}
