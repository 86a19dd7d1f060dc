package org.optin4j.testing;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.spi.MailMessage;

/**
 * A link found in a mail, such as the confirmation link {@code https://shop.example/optin/confirm?token=...} of the
 * double opt-in, a preference-center link or the {@code List-Unsubscribe} address (RFC 8058). A test follows it the way
 * the person would, or hands its {@link #token()} to {@code OptIn}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param uri the link as written in the mail
 */
public record MailLink(URI uri) {
  // An absolute http(s) URL up to white space, a quote or an angle bracket (RFC 3986, appendix C:
  // how a URI is
  // delimited in plain text); punctuation that ends a sentence is trimmed below.
  private static final Pattern URL = Pattern.compile("https?://[^\\s<>\"']+");

  /** Checks that the link is absolute. */
  public MailLink {
    Objects.requireNonNull(uri, "uri");
    if (!uri.isAbsolute()) {
      throw new IllegalArgumentException("a mail link must be absolute, was " + uri);
    }
  }

  /**
   * The http(s) links of a mail, in the order they appear: first the plain-text body, then the header values (where
   * {@code List-Unsubscribe} carries one), each link once. The HTML body carries the same links as the text body and
   * is not read.
   *
   * @param mail the mail
   * @return its links, possibly none
   */
  public static List<MailLink> in(MailMessage mail) {
    Objects.requireNonNull(mail, "mail");
    Set<String> found = new LinkedHashSet<>();
    collect(mail.text(), found);
    mail.headers().values().forEach(value -> collect(value, found));
    List<MailLink> links = new ArrayList<>();
    for (String url : found) {
      links.add(new MailLink(URI.create(url)));
    }
    return List.copyOf(links);
  }

  /**
   * The link of a mail to one page, such as {@code "confirm"}, {@code "preferences"} or {@code "unsubscribe"}: the
   * first whose path ends with {@code "/" + page}.
   *
   * @param mail the mail
   * @param page the page, one or more path segments without a leading slash
   * @return the link, or empty if the mail has none to that page
   */
  public static Optional<MailLink> to(MailMessage mail, String page) {
    Objects.requireNonNull(page, "page");
    return in(mail).stream().filter(l -> l.leadsTo(page)).findFirst();
  }

  /**
   * Whether the link's path ends with {@code "/" + page}.
   *
   * @param page the page, one or more path segments without a leading slash
   * @return whether the link leads to that page
   */
  public boolean leadsTo(String page) {
    String path = uri.getRawPath();
    return path != null && path.endsWith("/" + Objects.requireNonNull(page, "page"));
  }

  /**
   * The value of the link's {@code token} query parameter, decoded: what {@code OptIn.confirm}, the preference center
   * and unsubscribing take.
   *
   * @return the token
   * @throws AssertionError if the link has no token (a test that needs one fails here, naming the link's page)
   */
  public String token() {
    String query = uri.getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        if (pair.startsWith("token=")) {
          return URLDecoder.decode(pair.substring("token=".length()), StandardCharsets.UTF_8);
        }
      }
    }
    // The path, not the whole URI: the rest of the query may hold other secrets.
    throw new AssertionError("no token in the link to " + uri.getRawPath());
  }

  private static void collect(String text, Set<String> found) {
    Matcher m = URL.matcher(text);
    while (m.find()) {
      found.add(trimTrailingPunctuation(m.group()));
    }
  }

  private static String trimTrailingPunctuation(String url) {
    int end = url.length();
    while (end > 0 && ".,;:!?)]".indexOf(url.charAt(end - 1)) >= 0) {
      end--;
    }
    return url.substring(0, end);
  }

  /** Names the page of the link but not its query, which carries a credential (a signed token). */
  @Override
  public String toString() {
    return "MailLink[" + uri.getScheme() + "://" + uri.getRawAuthority() + uri.getRawPath() + "]";
  }
}
