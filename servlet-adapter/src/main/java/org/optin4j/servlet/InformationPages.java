package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.optin4j.Controller;
import org.optin4j.InformationPage;
import org.optin4j.OptIn;

/**
 * The hosted information page, {@code {prefix}/privacy-info}: everything GDPR Art. 13(1) and (2) asks for, generated
 * from the catalog and the controller ({@link OptIn#informationPage(Locale)}), in the visitor's language, with its
 * version. Every notice links to it. No token, no personal data, no state.
 *
 * <p>Thread-safe.
 */
final class InformationPages {
  /** Where the page is, under the prefix. */
  static final String PATH = "/privacy-info";

  private final Pages pages;
  private final OptIn optIn;

  InformationPages(Pages pages, OptIn optIn) {
    this.pages = pages;
    this.optIn = optIn;
  }

  /** GET: the page in the visitor's language. */
  void page(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    InformationPage info = optIn.informationPage(locale);
    String title = info.text().substring(0, info.text().indexOf('\n'));
    pages.send(req, res, 200, "privacy-info", locale, title, block(new Html(), info, locale, "h1"));
  }

  /**
   * The page's text as HTML: the first line as a heading, each paragraph as one, the addresses of the privacy policy
   * and the supervisory authority as links. Every character of the text is shown, so its hash says what was shown.
   */
  Html block(Html h, InformationPage info, Locale locale, String heading) {
    String lang = info.locale().toLanguageTag();
    String[] blocks = info.text().split("\n\n", -1);
    h.start("div").attr("class", "optin-information").attr("lang", lang).end().nl();
    h.element(heading, blocks[0]).nl();
    List<String> urls = new ArrayList<>();
    Controller c = optIn.controller();
    if (c.privacyPolicyUrl() != null) {
      urls.add(c.privacyPolicyUrl());
    }
    if (c.supervisoryAuthority() != null) {
      urls.add(c.supervisoryAuthority().url());
    }
    for (int i = 1; i < blocks.length; i++) {
      if (blocks[i].isEmpty()) {
        continue;
      }
      linked(h.open("p", "class", "optin-notice"), blocks[i], urls).close("p").nl();
    }
    h.open("p", "class", "optin-notice-version")
        // The full hash, as the notices that link here name it: a reader can match the two.
        .text(
            pages.t(
                locale,
                "info.version",
                "version",
                info.version() + " (SHA-256 " + info.hash() + ")"))
        .close("p")
        .nl();
    return h.close("div").nl();
  }

  /** The text with each occurrence of a known address as a link to it. */
  private static Html linked(Html h, String text, List<String> urls) {
    String rest = text;
    while (true) {
      int at = -1;
      String url = null;
      for (String u : urls) {
        int i = rest.indexOf(u);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          url = u;
        }
      }
      if (url == null) {
        return h.text(rest);
      }
      h.text(rest.substring(0, at)).start("a").attr("href", url).end().text(url).close("a");
      rest = rest.substring(at + url.length());
    }
  }
}
