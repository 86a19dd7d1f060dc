package org.optin4j.examples;

import org.optin4j.servlet.PageLayout;

/**
 * Gives the library's hosted pages (subscribe, confirm, preferences, ...) the bakery's header and footer, through the
 * adapter's public {@link PageLayout} hook. The content arrives encoded and goes in unchanged; the title and the
 * stylesheet URLs are encoded here. Stateless and thread-safe.
 */
final class BakeryLayout implements PageLayout {
  @Override
  public String render(Page page) {
    String current = page.kind().equals("subscribe") ? "/optin/subscribe" : null;
    String content = "<div class=\"card optin-card\">\n" + page.contentHtml() + "</div>\n";
    return Html.page(
        page.locale().toLanguageTag(),
        page.title(),
        current,
        page.stylesheets(),
        "site optin-" + page.kind(),
        content);
  }
}
