package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MarkerResponseCharsetTest {

  @Test
  void charsetWhenAppDeclaresAKnownOneThenThatOne() {
    assertEquals(StandardCharsets.UTF_8, charsetFor("UTF-8"));
    assertEquals(StandardCharsets.UTF_8, charsetFor("utf8"));
    assertEquals(Charset.forName("windows-1252"), charsetFor("windows-1252"));
  }

  @Test
  void charsetWhenAppDeclaresNoneAnUnknownOneOrAMalformedNameThenIso88591() {
    assertEquals(StandardCharsets.ISO_8859_1, charsetFor(null));
    assertEquals(StandardCharsets.ISO_8859_1, charsetFor("x-no-such-charset"));
    assertEquals(StandardCharsets.ISO_8859_1, charsetFor("utf 8"));
    assertEquals(StandardCharsets.ISO_8859_1, charsetFor(""));
    assertEquals(StandardCharsets.ISO_8859_1, charsetFor("\"UTF-8\""));
  }

  private static Charset charsetFor(String declared) {
    HttpServletResponse app =
        (HttpServletResponse)
            Proxy.newProxyInstance(
                MarkerResponseCharsetTest.class.getClassLoader(),
                new Class<?>[] {HttpServletResponse.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("getCharacterEncoding")) {
                    return declared;
                  }
                  throw new UnsupportedOperationException(method.getName());
                });
    return new MarkerResponse(app).charset();
  }
}
