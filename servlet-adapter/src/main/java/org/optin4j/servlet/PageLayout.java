package org.optin4j.servlet;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The HTML around every hosted page's content: replace it to give the pages the app's header, footer and branding
 * without forking (together with {@link OptInFilter.Builder#stylesheet(String)} and
 * {@link OptInFilter.Builder#messages(String)}).
 *
 * <p>An implementation must be thread-safe, must keep the {@code lang} attribute, must put {@link Page#contentHtml()}
 * in unchanged (it is already encoded), must encode anything else it adds, and must load nothing from third parties
 * unless the app also loosens nothing else: the pages are served with a Content-Security-Policy that allows styles
 * from this site and from the https stylesheets configured, and nothing else.
 */
public interface PageLayout {

  /**
   * Renders a whole page.
   *
   * @param page what goes in it
   * @return a complete HTML document
   */
  String render(Page page);

  /**
   * One page to lay out.
   *
   * @param kind which page, stable names: {@code subscribe}, {@code subscribed}, {@code confirm}, {@code confirmed},
   *     {@code already-confirmed}, {@code expired}, {@code invalid-link}, {@code resent}, {@code unsubscribe},
   *     {@code unsubscribed}, {@code preferences}, {@code preferences-saved}, {@code error}, {@code not-found}
   * @param locale the page's language
   * @param title the page title, plain text (encode it)
   * @param contentHtml the page content, already encoded HTML; put it inside {@code <main>}
   * @param stylesheets stylesheet URLs to link, in order, plain text (encode them)
   */
  record Page(
      String kind, Locale locale, String title, String contentHtml, List<String> stylesheets) {
    /** Validates and copies. */
    public Page {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(locale, "locale");
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(contentHtml, "contentHtml");
      stylesheets = List.copyOf(stylesheets);
    }
  }
}
