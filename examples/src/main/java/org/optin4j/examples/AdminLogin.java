package org.optin4j.examples;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's login, shared by {@code /admin} and {@code /dev/mailbox}: HTTP Basic with the user {@code admin} and
 * the password from {@code OPTIN4J_ADMIN_PASSWORD} (or printed at start-up), compared in constant time.
 *
 * <p>Wrong passwords are throttled per client address (OWASP Authentication cheat sheet, "protect against automated
 * attacks"; ASVS 5 V6.3): after {@value #MAX_FAILURES} failed attempts within {@link #WINDOW}, that address gets 429
 * with {@code Retry-After} until the oldest of them is {@code WINDOW} old, and its credentials are not even checked
 * meanwhile. A request without credentials (a browser's first, before it asks) is no failure. A failure is logged with
 * the client address and the count, never with the user name or password tried (a typo of the real password is
 * still a secret). Behind a reverse proxy every client shares the proxy's address: a guesser then locks the admin out
 * too, for {@code WINDOW} at most, which is the price of keeping the sample free of proxy configuration.
 *
 * <p>Memory is bounded: the failures of at most {@value #MAX_CLIENTS} addresses are kept, the least recently seen
 * forgotten first. Thread-safe.
 */
final class AdminLogin {
  static final String USER = "admin";
  static final int MAX_FAILURES = 5;
  static final Duration WINDOW = Duration.ofMinutes(15);
  private static final int MAX_CLIENTS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(AdminLogin.class);

  private final byte[] passwordHash;
  private final Clock clock;

  /** Failure times per client address, oldest first; access-ordered, so the least recently seen goes first. */
  private final Map<String, Deque<Instant>> failures =
      new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Instant>> eldest) {
          return size() > MAX_CLIENTS;
        }
      };

  AdminLogin(String password, Clock clock) {
    this.passwordHash = sha256(USER + ":" + password);
    this.clock = clock;
  }

  /**
   * Lets the request through if it carries the admin's credentials; otherwise answers it (401, or 429 while its
   * address is throttled) and says no.
   *
   * @param req the request
   * @param res the response, written only when the answer is no
   * @return whether the admin is signed in
   * @throws IOException if the answer cannot be written
   */
  boolean signedIn(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String client = req.getRemoteAddr();
    long wait = secondsThrottled(client);
    if (wait > 0) {
      res.setHeader("Retry-After", Long.toString(wait));
      Html.send(
          res,
          429,
          Html.page(
              "Too many attempts",
              "/admin",
              "<div class=\"card\"><h1>Too many attempts</h1>\n"
                  + "<p>Too many wrong passwords from your address. Try again in "
                  + (wait + 59) / 60
                  + " minutes.</p>"
                  + "</div>\n"));
      return false;
    }
    String header = req.getHeader("Authorization");
    if (header != null && matches(header)) {
      synchronized (failures) {
        failures.remove(client);
      }
      return true;
    }
    if (header != null) {
      int count = recordFailure(client);
      LOG.warn(
          "admin login failed from {} ({} in the last {} minutes)",
          client,
          count,
          WINDOW.toMinutes());
    }
    res.setHeader("WWW-Authenticate", "Basic realm=\"De Gouden Korst admin\", charset=\"UTF-8\"");
    Html.send(
        res,
        401,
        Html.page(
            "Sign in",
            "/admin",
            "<div class=\"card\"><h1>Sign in</h1>\n<p>This page needs the "
                + "user <code>admin</code> and the password printed when the app started (or set in "
                + "<code>OPTIN4J_ADMIN_PASSWORD</code>).</p></div>\n"));
    return false;
  }

  /** HTTP Basic; the hashes of expected and given credentials are compared in constant time. */
  private boolean matches(String header) {
    if (!header.regionMatches(true, 0, "Basic ", 0, 6) || header.length() > 1024) {
      return false;
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(passwordHash, sha256(decoded));
  }

  private long secondsThrottled(String client) {
    Instant now = clock.instant();
    synchronized (failures) {
      Deque<Instant> times = failures.get(client);
      if (times == null) {
        return 0;
      }
      expire(times, now);
      if (times.size() < MAX_FAILURES) {
        return 0;
      }
      long ms = Duration.between(now, times.peekFirst().plus(WINDOW)).toMillis();
      return Math.max(1, (ms + 999) / 1000);
    }
  }

  private int recordFailure(String client) {
    Instant now = clock.instant();
    synchronized (failures) {
      Deque<Instant> times = failures.computeIfAbsent(client, k -> new ArrayDeque<>());
      expire(times, now);
      times.addLast(now);
      return times.size();
    }
  }

  private static void expire(Deque<Instant> times, Instant now) {
    while (!times.isEmpty() && !times.peekFirst().plus(WINDOW).isAfter(now)) {
      times.removeFirst();
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
