package org.optin4j.internal.jose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import org.junit.jupiter.api.Test;

/**
 * The Nimbus JOSE+JWT that core's tests run with: the build's own, and Spring Security 6.5's 9.37.x in the pom's
 * {@code nimbus-9.37} run, which swaps the jar and runs the token, receipt, key and catalog tests again.
 */
class NimbusVersionTest {
  @Test
  void theTestsRunWithTheNimbusTheBuildNames() {
    // Set by both surefire runs of core's pom; an IDE run without it checks the build's own
    // version.
    String expected = System.getProperty("optin4j.nimbus.expected", "10.10");
    assertEquals(expected, JWSObject.class.getPackage().getImplementationVersion());
  }

  @Test
  void deeplyNestedJsonIsRefused() {
    // CVE-2025-53864: before 9.37.4 and 10.0.2 any depth was accepted, and walking such a value
    // recursed until the
    // thread's stack ran out. 9.37.3 accepts this input; the fixed versions refuse it.
    String nested = "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000);

    assertThrows(ParseException.class, () -> JSONObjectUtils.parse(nested));
  }
}
