package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.util.function.Function;

/**
 * Fuzzes the purpose catalog readers, {@link PurposeCatalog#fromJson} and {@link PurposeCatalog#fromProperties}: a
 * catalog file is shipped by the app, but it is still a parser of text, and a wrong file must fail with a
 * {@link ConfigurationException} naming the problem — never another exception, a hang, or a half-read catalog. The
 * committed inputs are the documented examples and broken variants of them.
 */
class PurposeCatalogFuzzTest {

  @FuzzTest(maxDuration = "2m")
  void fromJson(byte[] data) {
    check(data, in -> PurposeCatalog.fromJson(in));
  }

  @FuzzTest(maxDuration = "2m")
  void fromProperties(byte[] data) {
    check(data, in -> PurposeCatalog.fromProperties(in));
  }

  private static void check(byte[] data, Function<ByteArrayInputStream, PurposeCatalog> reader) {
    PurposeCatalog catalog;
    try {
      catalog = reader.apply(new ByteArrayInputStream(data));
    } catch (ConfigurationException e) {
      assertFalse(e.problems().isEmpty(), "a refusal names at least one problem");
      assertTrue(e.problems().stream().noneMatch(p -> p == null || p.isBlank()), "blank problem");
      return;
    }
    assertFalse(catalog.locales().isEmpty());
    assertFalse(catalog.purposes().isEmpty());
    for (Purpose p : catalog.purposes()) {
      for (java.util.Locale l : catalog.locales()) {
        assertTrue(p.text(l).isPresent(), "a purpose lacks a text in a catalog language");
      }
      assertTrue(catalog.purpose(p.id()).isPresent());
    }
  }
}
