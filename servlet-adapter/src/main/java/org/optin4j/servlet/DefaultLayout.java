package org.optin4j.servlet;

import org.owasp.encoder.Encode;

/** The built-in page layout: a plain HTML5 document with a {@code lang}, a title and one main landmark. */
final class DefaultLayout implements PageLayout {
  @Override
  public String render(Page page) {
    StringBuilder b = new StringBuilder(2048 + page.contentHtml().length());
    b.append("<!DOCTYPE html>\n<html lang=\"").append(Encode.forHtmlAttribute(page.locale().toLanguageTag()))
        .append("\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<meta name=\"robots\" content=\"noindex, nofollow\">\n")
        .append("<title>").append(Encode.forHtml(page.title())).append("</title>\n");
    for (String css : page.stylesheets()) {
      b.append("<link rel=\"stylesheet\" href=\"").append(Encode.forHtmlAttribute(css)).append("\">\n");
    }
    b.append("</head>\n<body class=\"optin-").append(Encode.forHtmlAttribute(page.kind())).append("\">\n")
        .append("<main class=\"optin-page\" id=\"main\">\n")
        .append(page.contentHtml())
        .append("</main>\n</body>\n</html>\n");
    return b.toString();
  }
}
