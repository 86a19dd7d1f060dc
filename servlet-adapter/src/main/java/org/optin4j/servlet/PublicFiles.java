package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.optin4j.OptIn;

/**
 * The two files under the prefix that carry no token and no personal data, so they may be cached and, for the keys,
 * read from any origin: the built-in stylesheet {@code /optin.css} and the receipt keys
 * {@code /.well-known/jwks.json}.
 *
 * <p>Thread-safe.
 */
final class PublicFiles {
  private final OptIn optIn;
  private final byte[] stylesheet;

  PublicFiles(OptIn optIn) {
    this.optIn = optIn;
    try (InputStream in = PublicFiles.class.getResourceAsStream("optin.css")) {
      if (in == null) {
        throw new IllegalStateException("optin.css missing from the jar");
      }
      this.stylesheet = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read optin.css", e);
    }
  }

  void css(HttpServletRequest req, HttpServletResponse res) throws IOException {
    serve(req, res, "text/css;charset=UTF-8", stylesheet, false);
  }

  /**
   * The public keys that verify consent receipts, as a JWK set (RFC 7517 section 8.5 media type): no token, no
   * personal data, cacheable, readable from any origin so that a browser-based verifier can fetch it.
   */
  void jwks(HttpServletRequest req, HttpServletResponse res) throws IOException {
    serve(
        req,
        res,
        "application/jwk-set+json",
        optIn.rights().receiptJwks().getBytes(StandardCharsets.UTF_8),
        true);
  }

  private static void serve(
      HttpServletRequest req,
      HttpServletResponse res,
      String contentType,
      byte[] body,
      boolean anyOrigin)
      throws IOException {
    res.setStatus(200);
    res.setContentType(contentType);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "public, max-age=3600");
    if (anyOrigin) {
      res.setHeader("Access-Control-Allow-Origin", "*");
    }
    res.setContentLength(body.length);
    if (!"HEAD".equals(req.getMethod())) {
      res.getOutputStream().write(body);
    }
  }
}
