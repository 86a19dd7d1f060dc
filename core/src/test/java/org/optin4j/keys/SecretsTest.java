package org.optin4j.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.optin4j.ConfigurationException;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

class SecretsTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  @TempDir Path dir;

  private final byte[] secret = random(32);
  private final String base64 = Base64.getEncoder().encodeToString(secret);

  // --- environment
  // -------------------------------------------------------------------------------------------

  @Test
  void fromEnvWhenBase64ThenDecoded() {
    assertArrayEquals(secret, Secrets.fromEnv("KEY", env(Map.of("KEY", base64))));
  }

  @Test
  void fromEnvWhenBase64UrlWithoutPaddingAndSurroundingWhiteSpaceThenDecoded() {
    byte[] urlSecret = urlSafeSecret();
    String text = "  " + Base64.getUrlEncoder().withoutPadding().encodeToString(urlSecret) + "\n";
    assertArrayEquals(urlSecret, Secrets.fromEnv("KEY", env(Map.of("KEY", text))));
  }

  @Test
  void fromEnvWhenNotSetThenNamesVariable() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> Secrets.fromEnv("OPTIN4J_KEY", env(Map.of())));
    assertEquals("secret from environment variable OPTIN4J_KEY: not set", e.getMessage());
  }

  @Test
  void fromEnvWhenBlankThenEmpty() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> Secrets.fromEnv("K", env(Map.of("K", " \t"))));
    assertEquals("secret from environment variable K: is empty", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "A=B", "A\0B"})
  void fromEnvWhenNameInvalidThenRefused(String name) {
    assertThrows(ConfigurationException.class, () -> Secrets.fromEnv(name, env(Map.of())));
  }

  @Test
  void fromEnvWhenNotBase64ThenRefusedWithoutEchoingAnyOfIt() {
    String almost = base64.substring(0, 20) + "!" + base64.substring(21);
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> Secrets.fromEnv("K", env(Map.of("K", almost))));
    assertTrue(
        e.getMessage().startsWith("secret from environment variable K: not valid base64"),
        e.getMessage());
    assertNoPartOf(almost, e);
    assertNull(e.getCause(), "the JDK's base64 message quotes a character of the secret");
  }

  @Test
  void fromValueWhenBase64ThenDecodedAndWhenInvalidOrShortThenRefusedNamingItWithoutEchoingIt() {
    assertArrayEquals(secret, Secrets.fromValue("optin4j.signing.key.value", " " + base64 + "\n"));
    String almost = base64.substring(0, 20) + "!" + base64.substring(21);
    ConfigurationException bad =
        assertThrows(
            ConfigurationException.class,
            () -> Secrets.fromValue("optin4j.signing.key.value", almost));
    assertTrue(
        bad.getMessage().startsWith("secret optin4j.signing.key.value: not valid base64"),
        bad.getMessage());
    assertNoPartOf(almost, bad);
    String shortKey = Base64.getEncoder().encodeToString(random(31));
    ConfigurationException tooShort =
        assertThrows(ConfigurationException.class, () -> Secrets.fromValue("k", shortKey));
    assertTrue(
        tooShort.getMessage().contains("has 248 bits; at least 256 are required"),
        tooShort.getMessage());
  }

  @Test
  void fromEnvWhenShorterThan256BitsThenRefusedNamingTheLength() {
    String shortKey = Base64.getEncoder().encodeToString(random(31));
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> Secrets.fromEnv("K", env(Map.of("K", shortKey))));
    assertTrue(e.getMessage().contains("has 248 bits; at least 256 are required"), e.getMessage());
    assertNoPartOf(shortKey, e);
  }

  @Test
  void fromEnvReadsTheRealEnvironment() {
    // PATH is set wherever tests run, and is no base64 key: the public method reaches
    // System.getenv.
    assertNotNull(System.getenv("PATH"), "PATH is set wherever the tests run");
    assertThrows(ConfigurationException.class, () -> Secrets.fromEnv("PATH"));
    assertEquals(
        "secret from environment variable OPTIN4J_SURELY_UNSET_8c1f: not set",
        assertThrows(
                ConfigurationException.class, () -> Secrets.fromEnv("OPTIN4J_SURELY_UNSET_8c1f"))
            .getMessage());
  }

  // --- file
  // --------------------------------------------------------------------------------------------------

  @Test
  void fromFileWhenOwnerOnlyThenDecoded() throws IOException {
    Path f = secretFile(base64 + "\n", "rw-------");
    assertArrayEquals(secret, Secrets.fromFile(f));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--------"));
    assertArrayEquals(secret, Secrets.fromFile(f));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r-----", "rw----r--", "rw-rw-rw-", "rw-----w-", "rw---x---"})
  void fromFileWhenGroupOrOthersHaveAccessThenRefused(String permissions) throws IOException {
    assertTrue(POSIX, "the permission check is tested on a POSIX file system (CI runs on Linux)");
    Path f = secretFile(base64, permissions);
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> Secrets.fromFile(f));
    assertTrue(
        e.getMessage().startsWith("secret file " + f + ": group or others have access"),
        e.getMessage());
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    assertNoPartOf(base64, e);
  }

  @Test
  void textFromFileWhenOwnerOnlyThenTheTextStripped() throws IOException {
    Path f = secretFile("  s3cret password\n", "rw-------");
    assertEquals("s3cret password", Secrets.textFromFile(f));
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r-----", "rw----r--", "rw-rw-rw-"})
  void textFromFileWhenGroupOrOthersHaveAccessThenRefusedAsFromFileIs(String permissions)
      throws IOException {
    assertTrue(POSIX, "the permission check is tested on a POSIX file system (CI runs on Linux)");
    Path f = secretFile("smtp-password", permissions);
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> Secrets.textFromFile(f));
    assertTrue(
        e.getMessage().startsWith("secret file " + f + ": group or others have access"),
        e.getMessage());
    assertNoPartOf("smtp-password", e);
  }

  @Test
  void textFromFileWhenEmptyOrMissingThenNamed() throws IOException {
    Path blank = secretFile(" \n", "rw-------");
    assertEquals(
        "secret file " + blank + ": is empty",
        assertThrows(ConfigurationException.class, () -> Secrets.textFromFile(blank)).getMessage());
    assertEquals(
        "secret file " + dir.resolve("nope") + ": does not exist",
        assertThrows(ConfigurationException.class, () -> Secrets.textFromFile(dir.resolve("nope")))
            .getMessage());
  }

  @Test
  void fromFileWhenMissingThenNamesFile() {
    Path f = dir.resolve("nope");
    assertEquals(
        "secret file " + f + ": does not exist",
        assertThrows(ConfigurationException.class, () -> Secrets.fromFile(f)).getMessage());
  }

  @Test
  void fromFileWhenDirectoryThenRefused() {
    assertEquals(
        "secret file " + dir + ": not a regular file",
        assertThrows(ConfigurationException.class, () -> Secrets.fromFile(dir)).getMessage());
  }

  @Test
  void fromFileWhenHugeThenRefusedUnread() throws IOException {
    Path f = secretFile("A".repeat(70_000), "rw-------");
    assertTrue(
        assertThrows(ConfigurationException.class, () -> Secrets.fromFile(f))
            .getMessage()
            .endsWith("larger than 64 KB; a secret file holds one secret"));
  }

  @Test
  void fromFileWhenNotBase64OrTooShortOrEmptyThenRefusedWithoutEchoingIt() throws IOException {
    String binaryLooking = new String(random(40), StandardCharsets.ISO_8859_1);
    for (String content :
        List.of(
            "Tr0ub4dor&3 horse-battery!",
            binaryLooking,
            Base64.getEncoder().encodeToString(random(16)),
            "\n\n")) {
      Path f = secretFile(content, "rw-------");
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> Secrets.fromFile(f));
      assertTrue(e.getMessage().startsWith("secret file " + f + ": "), e.getMessage());
      assertNoPartOf(content.strip(), e);
      Files.delete(f);
    }
  }

  // --- key store
  // ---------------------------------------------------------------------------------------------

  @Test
  void fromKeyStoreWhenSecretKeyEntryThenItsBytes() throws Exception {
    Path store = keyStore("store-pass", "pepper", secret, "store-pass");
    assertArrayEquals(
        secret,
        Secrets.fromKeyStore(
            store, "store-pass".toCharArray(), "pepper", "store-pass".toCharArray()));
  }

  @Test
  void fromKeyStoreWhenEntryHasItsOwnPasswordThenNeedsIt() throws Exception {
    Path store = keyStore("store-pass", "k1", secret, "key-pass");
    assertArrayEquals(
        secret,
        Secrets.fromKeyStore(store, "store-pass".toCharArray(), "k1", "key-pass".toCharArray()));
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                Secrets.fromKeyStore(
                    store, "store-pass".toCharArray(), "k1", "wrong-key-pass".toCharArray()));
    assertEquals("key store " + store + ", alias \"k1\": wrong key password", e.getMessage());
    assertNoPasswordsOrSecret(e, "store-pass", "wrong-key-pass", "key-pass");
  }

  @Test
  void fromKeyStoreWhenStorePasswordWrongThenRefusedWithoutEchoingIt() throws Exception {
    Path store = keyStore("store-pass", "k1", secret, "store-pass");
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                Secrets.fromKeyStore(
                    store, "guess-123".toCharArray(), "k1", "guess-123".toCharArray()));
    assertEquals(
        "key store " + store + ": cannot open it (wrong store password, or not a PKCS#12 file)",
        e.getMessage());
    assertNoPasswordsOrSecret(e, "guess-123", "store-pass");
  }

  @Test
  void fromKeyStoreWhenAliasMissingThenNamesIt() throws Exception {
    Path store = keyStore("pw-pw-pw", "k1", secret, "pw-pw-pw");
    assertEquals(
        "key store " + store + ", alias \"k2\": no such entry",
        assertThrows(
                ConfigurationException.class,
                () ->
                    Secrets.fromKeyStore(
                        store, "pw-pw-pw".toCharArray(), "k2", "pw-pw-pw".toCharArray()))
            .getMessage());
  }

  @Test
  void fromKeyStoreWhenKeyShorterThan256BitsThenRefused() throws Exception {
    Path store = keyStore("pw-pw-pw", "k1", random(16), "pw-pw-pw");
    assertTrue(
        assertThrows(
                ConfigurationException.class,
                () ->
                    Secrets.fromKeyStore(
                        store, "pw-pw-pw".toCharArray(), "k1", "pw-pw-pw".toCharArray()))
            .getMessage()
            .endsWith("has 128 bits; at least 256 are required (e.g. openssl rand -base64 32)"));
  }

  @Test
  void fromKeyStoreWhenMissingOrNotAKeyStoreThenRefused() throws IOException {
    Path missing = dir.resolve("missing.p12");
    assertEquals(
        "key store " + missing + ": does not exist",
        assertThrows(
                ConfigurationException.class,
                () -> Secrets.fromKeyStore(missing, new char[0], "k1", new char[0]))
            .getMessage());
    Path text = secretFile(base64, "rw-------");
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> Secrets.fromKeyStore(text, "pw".toCharArray(), "k1", "pw".toCharArray()));
    assertTrue(e.getMessage().contains("cannot open it"), e.getMessage());
    assertNoPartOf(base64, e);
  }

  @Test
  void fromKeyStoreWhenEntryIsAPrivateKeyThenRefused() throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    assertTrue(Files.isExecutable(keytool), "keytool ships with every JDK: " + keytool);
    Path store = dir.resolve("pair.p12");
    Process p =
        new ProcessBuilder(
                keytool.toString(),
                "-genkeypair",
                "-keyalg",
                "EC",
                "-alias",
                "site",
                "-dname",
                "CN=test",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                "pw-pw-pw",
                "-keypass",
                "pw-pw-pw",
                "-validity",
                "1")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "keytool failed");
    assertEquals(
        "key store "
            + store
            + ", alias \"site\": not a secret key entry (a private key or certificate?)",
        assertThrows(
                ConfigurationException.class,
                () ->
                    Secrets.fromKeyStore(
                        store, "pw-pw-pw".toCharArray(), "site", "pw-pw-pw".toCharArray()))
            .getMessage());
  }

  @Test
  void loadedSecretsFeedSigningKeysAndTheService() throws Exception {
    Path file = secretFile(Base64.getEncoder().encodeToString(random(32)), "rw-------");
    Path store = keyStore("pw-pw-pw", "pepper", random(32), "pw-pw-pw");
    SigningKeys keys =
        SigningKeys.builder()
            .active("k2", Secrets.fromEnv("KEY", env(Map.of("KEY", base64))))
            .previous("k1", Secrets.fromFile(file))
            .build();
    assertArrayEquals(secret, keys.secret("k2"));
    OptIn optIn =
        Fixtures.builder(
                org.optin4j.memory.InMemoryConsentStore.create(),
                new RecordingMailer(),
                TestClock.at("2026-03-02T10:00:00Z"))
            .signingKeys(keys)
            .suppressionPepper(
                Secrets.fromKeyStore(
                    store, "pw-pw-pw".toCharArray(), "pepper", "pw-pw-pw".toCharArray()))
            .build();
    optIn.close();
  }

  // --- helpers
  // -----------------------------------------------------------------------------------------------

  private static java.util.function.UnaryOperator<String> env(Map<String, String> values) {
    return values::get;
  }

  private Path secretFile(String content, String permissions) throws IOException {
    Path f = Files.createTempFile(dir, "secret", ".txt");
    Files.writeString(f, content, StandardCharsets.ISO_8859_1);
    if (POSIX) {
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(permissions));
    }
    return f;
  }

  private Path keyStore(String storePassword, String alias, byte[] key, String keyPassword)
      throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setEntry(
        alias,
        new KeyStore.SecretKeyEntry(new SecretKeySpec(key, "HmacSHA256")),
        new KeyStore.PasswordProtection(keyPassword.toCharArray()));
    Path f = Files.createTempFile(dir, "keys", ".p12");
    try (OutputStream out = Files.newOutputStream(f)) {
      ks.store(out, storePassword.toCharArray());
    }
    return f;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** A secret whose standard base64 spelling has a '-' or '_' in url-safe form, to exercise that branch. */
  private static byte[] urlSafeSecret() {
    while (true) {
      byte[] b = random(32);
      String s = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
      if (s.indexOf('-') >= 0 || s.indexOf('_') >= 0) {
        return b;
      }
    }
  }

  private void assertNoPasswordsOrSecret(Throwable e, String... passwords) {
    for (String p : passwords) {
      assertNoPartOf(p, e);
    }
    assertNoPartOf(base64, e);
    assertNoPartOf(HexFormat.of().formatHex(secret), e);
  }

  /** No 6-character piece of the secret text appears in the message, or in any cause's message. */
  static void assertNoPartOf(String secretText, Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage()) + " " + t;
      for (int i = 0; i + 6 <= secretText.length(); i++) {
        String piece = secretText.substring(i, i + 6);
        if (!piece.isBlank()) {
          assertFalse(m.contains(piece), () -> "exception text contains part of the secret: " + m);
        }
      }
    }
  }
}
