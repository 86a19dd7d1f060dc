package org.optin4j.servlet;

/** The built-in page layout: a plain HTML5 document with a {@code lang}, a title and one main landmark. */
final class DefaultLayout implements PageLayout {
  @Override
  public String render(Page page) {
    Html h =
        new Html(page.contentHtml().length() + 1024)
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
    h.close("head")
        .nl()
        .open("body", "class", "optin-" + page.kind())
        .nl()
        .start("main")
        .attr("class", "optin-page")
        .attr("id", "main")
        .end()
        .nl()
        .trusted(
            page.contentHtml()) // encoded by the page that made it (PageLayout.Page#contentHtml)
        .close("main")
        .nl()
        .close("body")
        .nl()
        .close("html")
        .nl();
    return h.toString();
  }
}
