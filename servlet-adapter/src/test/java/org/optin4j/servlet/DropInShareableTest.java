package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Proxy;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DropInShareableTest {

  @Test
  void shareableWhenAnonymousAndNoPersonalHeadersThenKeptForReuse() {
    assertTrue(DropIn.shareable(request(null), response(Map.of()), List.of()));
    assertTrue(DropIn.shareable(request(null), response(Map.of()), List.of("public, max-age=60")));
    assertTrue(
        DropIn.shareable(
            request(null), response(Map.of("Cache-Control", List.of("no-store"))), List.of()),
        "the no-store the filter puts on every rewritten page is not the app's");
  }

  @Test
  void shareableWhenPageIsMadeForOnePersonThenNotKept() {
    assertFalse(
        DropIn.shareable(request(() -> "ann"), response(Map.of()), List.of()),
        "authenticated request");
    assertFalse(
        DropIn.shareable(
            request(null), response(Map.of("Set-Cookie", List.of("cart=1"))), List.of()),
        "sets a cookie");
    assertFalse(DropIn.shareable(request(null), response(Map.of()), List.of("Private")));
    assertFalse(
        DropIn.shareable(request(null), response(Map.of()), List.of("max-age=0", "no-store")));
  }

  private static HttpServletRequest request(Principal user) {
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            DropInShareableTest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getUserPrincipal")) {
                return user;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  private static HttpServletResponse response(Map<String, List<String>> headers) {
    return (HttpServletResponse)
        Proxy.newProxyInstance(
            DropInShareableTest.class.getClassLoader(),
            new Class<?>[] {HttpServletResponse.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getHeaders")) {
                return headers.getOrDefault((String) args[0], List.of());
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
