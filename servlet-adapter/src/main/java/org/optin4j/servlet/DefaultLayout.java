package org.optin4j.servlet;

import java.util.List;
import java.util.Locale;

/**
 * The built-in page layout: a plain HTML5 document with a {@code lang}, a title and one main landmark.
 *
 * <p>Thread-safe. The document up to {@code <main>} is the same for every view of a page in one language, so it is
 * rendered once per (kind, language, title, stylesheets) and kept by this instance, at most {@value #LIMIT} of them;
 * beyond that it is rendered as before.
 */
final class DefaultLayout implements PageLayout {
  static final int LIMIT = 256;
  private static final String TAIL = "</main>\n</body>\n</html>\n";

  private final BoundedCache<HeadKey, String> heads = new BoundedCache<>(LIMIT);

  private record HeadKey(String kind, Locale locale, String title, List<String> stylesheets) {}

  @Override
  public String render(Page page) {
    HeadKey key = new HeadKey(page.kind(), page.locale(), page.title(), page.stylesheets());
    String head = heads.get(key, k -> head(page));
    // encoded by the page that made it (PageLayout.Page#contentHtml)
    return head + page.contentHtml() + TAIL;
  }

  /** How many heads are kept; for tests. */
  int heads() {
    return heads.size();
  }

  private static String head(Page page) {
    Html h =
        new Html()
            .trusted("<!DOCTYPE html>")
            .nl()
            .open("html", "lang", page.locale().toLanguageTag())
            .nl()
            .open("head")
            .nl()
            .open("meta", "charset", "utf-8")
            .nl()
            .start("meta")
            .attr("name", "viewport")
            .attr("content", "width=device-width, initial-scale=1")
            .end()
            .nl()
            .start("meta")
            .attr("name", "robots")
            .attr("content", "noindex, nofollow")
            .end()
            .nl()
            .element("title", page.title())
            .nl();
    for (String css : page.stylesheets()) {
      h.start("link").attr("rel", "stylesheet").attr("href", css).end().nl();
    }
    return h.close("head")
        .nl()
        .open("body", "class", "optin-" + page.kind())
        .nl()
        .start("main")
        .attr("class", "optin-page")
        .attr("id", "main")
        .end()
        .nl()
        .toString();
  }
}
