package org.optin4j.keys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import javax.crypto.SecretKey;
import org.optin4j.ConfigurationException;
import org.optin4j.OptIn;

/**
 * Loads the library's secrets — signing keys ({@link SigningKeys}), the suppression pepper
 * ({@link OptIn.Builder#suppressionPepper(byte[])}) and the servlet adapter's form key — from an environment variable,
 * a file, or a Java key store, so that no secret has to live in code or in a configuration file.
 *
 * <pre>{@code
 * SigningKeys keys = SigningKeys.builder()
 *     .active("k2", Secrets.fromEnv("OPTIN4J_SIGNING_KEY"))
 *     .previous("k1", Secrets.fromFile(Path.of("/run/secrets/optin4j-k1")))
 *     .build();
 * byte[] pepper = Secrets.fromKeyStore(Path.of("/etc/shop/optin4j.p12"), storePassword, "pepper", keyPassword);
 * }</pre>
 *
 * <p>Every method returns a fresh array of at least 32 bytes (256 bits, the minimum of every secret optin4j takes)
 * that the caller may overwrite after use. Environment variables and files hold the secret as base64 or base64url
 * text (RFC 4648 sections 4 and 5; padding optional, surrounding white space ignored), for example the output of
 * {@code openssl rand -base64 32}.
 *
 * <p>Failures are {@link ConfigurationException}s that name the variable, file or alias and say what is wrong, and
 * never contain the secret or any part of it (not even the offending character of bad base64; no cause that could
 * carry it is attached).
 *
 * <p>Stateless and thread-safe.
 */
public final class Secrets {
  /** The shortest secret accepted, in bytes: 256 bits (RFC 7518 section 3.2 for HS256 keys). */
  public static final int MIN_BYTES = 32;

  // A key file is a line of base64; anything bigger is a mistake (a wrong path), not a secret.
  private static final long MAX_FILE_BYTES = 64 * 1024;
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private Secrets() {}

  /**
   * Reads a secret from an environment variable holding base64 or base64url text.
   *
   * @param name the variable's name, for example {@code OPTIN4J_SIGNING_KEY}
   * @return the decoded secret, at least {@value #MIN_BYTES} bytes
   * @throws ConfigurationException if the variable is not set, blank, not base64 or too short
   */
  public static byte[] fromEnv(String name) {
    return fromEnv(name, System::getenv);
  }

  /** As {@link #fromEnv(String)}, reading from the given environment; for tests. */
  static byte[] fromEnv(String name, UnaryOperator<String> environment) {
    Objects.requireNonNull(name, "name");
    String what = "secret from environment variable " + name;
    if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
      throw new ConfigurationException(what + ": not a valid variable name");
    }
    String value = environment.apply(name);
    if (value == null) {
      throw new ConfigurationException(what + ": not set");
    }
    return decode(what, value);
  }

  /**
   * Decodes a secret handed over as a configuration value, base64 or base64url text, as Vault or a config server hand
   * secrets to an application's properties. The same rules as {@link #fromEnv(String)}; failures name {@code name},
   * never the value.
   *
   * @param name what the value is, for messages, for example the property {@code optin4j.signing.key.value}
   * @param value the base64 or base64url text
   * @return the decoded secret, at least {@value #MIN_BYTES} bytes
   * @throws ConfigurationException if the value is blank, not base64 or too short
   */
  public static byte[] fromValue(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    return decode("secret " + name, value);
  }

  /**
   * Reads a secret from a file holding base64 or base64url text. On file systems with POSIX permissions the file
   * must be readable by its owner only ({@code chmod 600} or {@code 400}): a file that its group or others may read,
   * write or execute is refused, as OpenSSH refuses such private keys.
   *
   * @param file the file
   * @return the decoded secret, at least {@value #MIN_BYTES} bytes
   * @throws ConfigurationException if the file is missing, unreadable, not a regular file, open to group or others,
   *     over 64 KB, not base64 or too short
   */
  public static byte[] fromFile(Path file) {
    Objects.requireNonNull(file, "file");
    String what = "secret file " + file;
    byte[] raw = readOwnerOnly(file, what);
    try {
      return decode(what, new String(raw, StandardCharsets.US_ASCII));
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /**
   * Reads a secret that is text rather than a key (a password, a JSON Web Key) from a file, under the rules of
   * {@link #fromFile(Path)}: readable by its owner only where the file system has POSIX permissions, a regular file,
   * at most 64 KB.
   *
   * @param file the file
   * @return the text, read as UTF-8, surrounding white space removed; not empty
   * @throws ConfigurationException if the file is missing, unreadable, not a regular file, open to group or others,
   *     over 64 KB, or empty
   */
  public static String textFromFile(Path file) {
    Objects.requireNonNull(file, "file");
    String what = "secret file " + file;
    byte[] raw = readOwnerOnly(file, what);
    try {
      String text = new String(raw, StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        throw new ConfigurationException(what + ": is empty");
      }
      return text;
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  /** The bytes of a secret file that is regular, owner-only (as OpenSSH demands of private keys) and small. */
  private static byte[] readOwnerOnly(Path file, String what) {
    try {
      if (!Files.isRegularFile(file)) {
        throw new ConfigurationException(
            what + (Files.exists(file) ? ": not a regular file" : ": does not exist"));
      }
      PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
      if (posix != null) {
        Set<PosixFilePermission> open = EnumSet.copyOf(GROUP_OR_OTHERS);
        open.retainAll(posix.readAttributes().permissions());
        if (!open.isEmpty()) {
          throw new ConfigurationException(
              what
                  + ": group or others have access ("
                  + open.size()
                  + " permission bits); make it readable by its owner only, e.g. chmod 600");
        }
      }
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new ConfigurationException(
            what + ": larger than 64 KB; a secret file holds one secret");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException(what + ": does not exist");
    } catch (IOException | SecurityException e) {
      // An I/O message names the path and the failure (access denied, ...), never the contents.
      throw configurationException(
          what + ": cannot read (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  /**
   * Reads a secret key entry ({@link KeyStore.SecretKeyEntry}, for example an HmacSHA256 or AES key made with
   * {@code keytool -genseckey -keyalg HmacSHA256 -keysize 256 -storetype PKCS12}) from a PKCS#12 key store.
   *
   * @param file the key store file
   * @param storePassword the key store's password; not kept
   * @param alias the entry's alias
   * @param keyPassword the entry's password (for PKCS#12 usually the store password); not kept
   * @return the key's bytes, at least {@value #MIN_BYTES}
   * @throws ConfigurationException if the store cannot be read or opened with the password, the alias is missing or
   *     not a secret key, the key password is wrong, or the key is too short
   */
  public static byte[] fromKeyStore(
      Path file, char[] storePassword, String alias, char[] keyPassword) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(storePassword, "storePassword");
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(keyPassword, "keyPassword");
    String what = "key store " + file;
    KeyStore store;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      store = KeyStore.getInstance("PKCS12");
      store.load(in, storePassword);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException(what + ": does not exist");
    } catch (IOException e) {
      // KeyStore.load reports a wrong password as an IOException whose cause is an
      // UnrecoverableKeyException.
      throw configurationException(
          what + ": cannot open it (wrong store password, or not a PKCS#12 file)", e);
    } catch (GeneralSecurityException | SecurityException e) {
      throw configurationException(
          what + ": cannot open it (" + e.getClass().getSimpleName() + ")", e);
    }
    String entry = what + ", alias \"" + alias + "\"";
    KeyStore.Entry found;
    try {
      if (!store.containsAlias(alias)) {
        throw new ConfigurationException(entry + ": no such entry");
      }
      if (!store.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class)) {
        throw new ConfigurationException(
            entry + ": not a secret key entry (a private key or certificate?)");
      }
      found = store.getEntry(alias, new KeyStore.PasswordProtection(keyPassword));
    } catch (UnrecoverableKeyException e) {
      throw configurationException(entry + ": wrong key password", e);
    } catch (GeneralSecurityException e) {
      throw configurationException(
          entry + ": cannot read the key (" + e.getClass().getSimpleName() + ")", e);
    }
    SecretKey key = ((KeyStore.SecretKeyEntry) found).getSecretKey();
    byte[] bytes = key.getEncoded();
    if (bytes == null) {
      throw new ConfigurationException(
          entry + ": the key cannot be exported (format " + key.getFormat() + ")");
    }
    return checkLength(entry, bytes);
  }

  private static byte[] decode(String what, String text) {
    String s = text.strip();
    if (s.isEmpty()) {
      throw new ConfigurationException(what + ": is empty");
    }
    byte[] bytes;
    try {
      bytes =
          s.indexOf('-') >= 0 || s.indexOf('_') >= 0
              ? Base64.getUrlDecoder().decode(s)
              : Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      // No cause: the JDK's message quotes the offending character, which is part of the secret.
      throw new ConfigurationException(
          what + ": not valid base64 or base64url text (" + s.length() + " characters)");
    }
    return checkLength(what, bytes);
  }

  private static byte[] checkLength(String what, byte[] bytes) {
    if (bytes.length < MIN_BYTES) {
      int bits = bytes.length * 8;
      Arrays.fill(bytes, (byte) 0);
      throw new ConfigurationException(
          what
              + ": has "
              + bits
              + " bits; at least "
              + MIN_BYTES * 8
              + " are required (e.g. openssl rand -base64 32)");
    }
    return bytes;
  }

  private static ConfigurationException configurationException(String message, Throwable cause) {
    ConfigurationException e = new ConfigurationException(message);
    e.initCause(cause);
    return e;
  }
}
