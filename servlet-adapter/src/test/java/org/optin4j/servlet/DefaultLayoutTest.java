package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The built-in layout writes the same document whether its head was kept or rendered anew. */
class DefaultLayoutTest {
  private final DefaultLayout layout = new DefaultLayout();

  private static String document(String lang, String kind, String title, String content) {
    return "<!DOCTYPE html>\n<html lang=\""
        + lang
        + "\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        + "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>"
        + title
        + "</title>\n<link rel=\"stylesheet\" href=\"/app/optin/optin.css\">\n"
        + "<link rel=\"stylesheet\" href=\"https://cdn.example/a.css?x=1&amp;y=2\">\n"
        + "</head>\n<body class=\"optin-"
        + kind
        + "\">\n<main class=\"optin-page\" id=\"main\">\n"
        + content
        + "</main>\n</body>\n</html>\n";
  }

  private String render(String kind, Locale locale, String title, String content) {
    return layout.render(
        new PageLayout.Page(
            kind,
            locale,
            title,
            content,
            List.of("/app/optin/optin.css", "https://cdn.example/a.css?x=1&y=2")));
  }

  @Test
  void everyViewOfAPageIsTheSameDocumentAroundItsOwnContent() {
    assertEquals(
        document("en", "confirm", "Confirm &lt;it&gt;", "<p>one</p>\n"),
        render("confirm", Locale.ENGLISH, "Confirm <it>", "<p>one</p>\n"));
    assertEquals(
        document("en", "confirm", "Confirm &lt;it&gt;", "<p>two</p>\n"),
        render("confirm", Locale.ENGLISH, "Confirm <it>", "<p>two</p>\n"));
    assertEquals(1, layout.heads());
  }

  @Test
  void anotherTitleKindOrLanguageGetsItsOwnHead() {
    render("confirm", Locale.ENGLISH, "Confirm", "");
    assertEquals(
        document("de", "confirm", "Bestätigen", ""),
        render("confirm", Locale.GERMAN, "Bestätigen", ""));
    assertEquals(
        document("en", "expired", "Expired", "x"),
        render("expired", Locale.ENGLISH, "Expired", "x"));
    assertEquals(3, layout.heads());
  }

  @Test
  void headsAreBoundedAndPagesBeyondTheBoundStillRender() {
    for (int i = 0; i < DefaultLayout.LIMIT + 10; i++) {
      assertEquals(
          document("en", "error", "Title " + i, "c"),
          render("error", Locale.ENGLISH, "Title " + i, "c"));
    }
    assertEquals(DefaultLayout.LIMIT, layout.heads());
  }
}
