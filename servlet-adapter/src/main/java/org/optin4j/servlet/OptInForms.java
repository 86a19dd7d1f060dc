package org.optin4j.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;

/**
 * The drop-in for the app's own signup forms: renders the notice block that goes inside a {@code <form>} posting to
 * one of the filter's {@link OptInFilter.Builder#formPaths form paths}. The block holds the notice (controller, per
 * purpose what data, why, how long, the right to withdraw) as the exact text that is stored as proof, one unticked
 * checkbox per purpose (field {@value #PURPOSE_FIELD}), and the hidden fields the filter checks. The app's form
 * supplies the address field ({@code email} unless configured otherwise) and the submit button.
 *
 * <pre>{@code
 * <form method="post" action="/contact">
 *   <label for="email">Email</label> <input id="email" name="email" type="email">
 *   <%= OptInForms.from(application).noticeBlock(request, "newsletter", "offers") %>
 *   <button>Send</button>
 * </form>
 * }</pre>
 *
 * <p>Get the instance with {@link #from(ServletContext)} (the filter publishes it when it starts) or
 * {@link OptInFilter#forms()}. Thread-safe.
 */
public final class OptInForms {
  /** The servlet context attribute under which the filter publishes its instance. */
  public static final String ATTRIBUTE = "org.optin4j.servlet.OptInForms";

  /** The name of the purpose checkboxes in the notice block. */
  public static final String PURPOSE_FIELD = "optin-purpose";

  private final OptIn optIn;
  private final Pages pages;
  private final FormTokens tokens;
  private final OptInFilter.Settings settings;
  private static final int NOTICE_CACHE_LIMIT = 256;
  private final BoundedCache<BlockKey, Block> blocks = new BoundedCache<>(NOTICE_CACHE_LIMIT);

  OptInForms(OptInFilter.Settings settings, OptIn optIn, Pages pages, FormTokens tokens) {
    this.settings = settings;
    this.optIn = optIn;
    this.pages = pages;
    this.tokens = tokens;
  }

  /**
   * The parts of a notice block that do not change between page views: the notice of a purpose set in a language,
   * stored once, and its HTML around the form token. The notice text depends only on the catalog, the controller and
   * the language, all fixed for the life of the {@link OptIn}, and stored notices are never changed or deleted.
   * Without this, every page view with a drop-in block rendered, hashed and stored the notice again (a store
   * transaction: a database round trip with a JDBC store) and encoded the same HTML again. Bounded: at most
   * {@value #NOTICE_CACHE_LIMIT} combinations are kept; beyond that, blocks are rendered as before.
   */
  private Block block(Set<PurposeId> purposes, Locale locale, String base) {
    return blocks.get(new BlockKey(Set.copyOf(purposes), locale, base), this::renderBlock);
  }

  private Block renderBlock(BlockKey key) {
    Set<PurposeId> purposes = key.purposes();
    Locale locale = key.locale();
    String base = key.base();
    Notice notice = optIn.notice(purposes, locale);
    String id = "optin-notice-" + notice.hash().substring(0, 8);
    Html head =
        pages.noticeAndChoices(
            new Html().open("div", "class", "optin-block").nl(),
            notice,
            optIn.catalog().purposes().stream().filter(p -> purposes.contains(p.id())).toList(),
            locale,
            PURPOSE_FIELD,
            Set.of(),
            "optin-purpose-",
            id,
            base);
    Html tail =
        new Html()
            .hidden(Pages.NOTICE_FIELD, notice.hash())
            .hidden(Pages.LANG_FIELD, locale.getLanguage());
    pages.honeypot(tail, locale, true);
    return Block.of(head.toString(), tail.toString());
  }

  private record BlockKey(Set<PurposeId> purposes, Locale locale, String base) {}

  /**
   * The HTML before the form token and after it (up to the human check), also as bytes around the token's value:
   * UTF-8, and ASCII with numeric character references for pages in ISO-8859-1 or US-ASCII.
   */
  private record Block(String head, String tail, EncodedBlock utf8, EncodedBlock ascii) {
    static Block of(String head, String tail) {
      String before = head + TOKEN_FIELD_START;
      String after = TOKEN_FIELD_END + tail + "</div>\n";
      return new Block(
          head,
          tail,
          new EncodedBlock(
              before.getBytes(StandardCharsets.UTF_8), after.getBytes(StandardCharsets.UTF_8)),
          new EncodedBlock(
              asciiOnly(before).getBytes(StandardCharsets.US_ASCII),
              asciiOnly(after).getBytes(StandardCharsets.US_ASCII)));
    }
  }

  // Html.hidden(CSRF_FIELD, token) split around the token; the token (digits, '.', base64url) needs
  // no escaping.
  private static final String TOKEN_FIELD_START =
      "<input type=\"hidden\" name=\"" + Pages.CSRF_FIELD + "\" value=\"";
  private static final String TOKEN_FIELD_END = "\">\n";

  /**
   * A notice block as bytes around its form token's value: {@code head + token + tail} is the block that
   * {@link #noticeBlock(HttpServletRequest, Set)} renders, encoded.
   */
  record EncodedBlock(byte[] head, byte[] tail) {}

  /**
   * Returns the notice block for a page view pre-encoded, so that per view only the form token is new: for pages
   * whose charset spells ASCII as single bytes. Empty when the block cannot be shared between views (a human check
   * renders its own HTML per request); the caller then renders {@link #noticeBlock(HttpServletRequest, Set)}.
   *
   * @param utf8 UTF-8 if true, else ASCII with numeric character references
   */
  java.util.Optional<EncodedBlock> encodedBlock(
      HttpServletRequest request, Set<PurposeId> purposes, boolean utf8) {
    if (settings.humanCheck() != null) {
      return java.util.Optional.empty();
    }
    Block block = block(purposes, pages.locale(request), pages.base(request));
    return java.util.Optional.of(utf8 ? block.utf8() : block.ascii());
  }

  /** A fresh signup form token, ASCII only. */
  String formToken() {
    return tokens.issue(FormTokens.signupContext());
  }

  /** Non-ASCII characters as numeric references, for pages served in a charset other than UTF-8. */
  static String asciiOnly(String s) {
    StringBuilder b = new StringBuilder(s.length() + 64);
    s.codePoints()
        .forEach(
            c -> {
              if (c < 0x80) {
                b.append((char) c);
              } else {
                b.append("&#").append(c).append(';');
              }
            });
    return b.toString();
  }

  /**
   * Returns the instance the filter of this web app published.
   *
   * @param context the servlet context
   * @return the renderer
   * @throws IllegalStateException if no {@link OptInFilter} has started in this web app
   */
  public static OptInForms from(ServletContext context) {
    Object forms = Objects.requireNonNull(context, "context").getAttribute(ATTRIBUTE);
    if (!(forms instanceof OptInForms f)) {
      throw new IllegalStateException("no OptInFilter has started in this web app");
    }
    return f;
  }

  /**
   * Renders the notice block for purposes, in the request's language (Accept-Language, else the catalog default).
   *
   * @param request the request rendering the page
   * @param purposes the purposes to offer, at least one, all in the catalog
   * @return HTML, encoded, to put inside the form
   * @throws IllegalArgumentException if a purpose is unknown or none is given
   */
  public String noticeBlock(HttpServletRequest request, Set<PurposeId> purposes) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(purposes, "purposes");
    Locale locale = pages.locale(request);
    Block block = block(purposes, locale, pages.base(request));
    // The block's parts were written through Html when it was made (see block): trusted, not
    // written twice.
    Html b = new Html().trusted(block.head());
    b.hidden(Pages.CSRF_FIELD, tokens.issue(FormTokens.signupContext()));
    b.trusted(block.tail());
    if (settings.humanCheck() != null) {
      b.trusted(
          settings
              .humanCheck()
              .formHtml(request, locale)); // the check's own HTML, which it must encode
    }
    return b.close("div").nl().toString();
  }

  /**
   * Renders the notice block for purposes given by id, for templates.
   *
   * @param request the request rendering the page
   * @param purposeIds the purpose ids, at least one
   * @return HTML to put inside the form
   * @throws IllegalArgumentException if an id is invalid or unknown
   */
  public String noticeBlock(HttpServletRequest request, String... purposeIds) {
    Set<PurposeId> ids = new LinkedHashSet<>();
    for (String s : purposeIds) {
      PurposeId id = PurposeId.of(s);
      optIn.catalog().require(id);
      ids.add(id);
    }
    return noticeBlock(request, ids);
  }

  /**
   * Renders the full information GDPR Art. 13 asks for ({@link OptIn#informationPage(Locale)}), in the request's
   * language, as HTML for the app's own privacy page: a {@code <div class="optin-information">} with the title as an
   * {@code <h2>}, one paragraph per part, the addresses of the privacy policy and the supervisory authority as links,
   * and the version. The same as the hosted page {@code {prefix}/privacy-info}.
   *
   * @param request the request rendering the page
   * @return HTML, encoded
   */
  public String informationBlock(HttpServletRequest request) {
    Objects.requireNonNull(request, "request");
    Locale locale = pages.locale(request);
    return new InformationPages(pages, optIn)
        .block(new Html(), optIn.informationPage(locale), locale, "h2")
        .toString();
  }

  /** Returns the purposes of the catalog, in order, for apps that build their own list. */
  public java.util.List<Purpose> purposes() {
    return optIn.catalog().purposes();
  }
}
