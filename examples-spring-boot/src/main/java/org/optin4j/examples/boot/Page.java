package org.optin4j.examples.boot;

import org.owasp.encoder.Encode;

/** The bakery's page frame and HTML encoding; every text from outside goes through {@link #text} or {@link #attr}. */
final class Page {
  private Page() {}

  static String text(Object s) {
    return Encode.forHtml(String.valueOf(s));
  }

  static String attr(Object s) {
    return Encode.forHtmlAttribute(String.valueOf(s));
  }

  /**
   * A whole page.
   *
   * @param title the title, plain text
   * @param main the content, HTML
   * @return the page
   */
  static String render(String title, String main) {
    return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>%s · De Gouden Korst</title>
        <link rel="stylesheet" href="/site.css">
        </head>
        <body>
        <header><a class="brand" href="/">De Gouden Korst</a>
        <nav><a href="/optin/subscribe">Newsletter</a> <a href="/admin">Admin</a> <a href="/dev/mailbox">Mailbox</a></nav>
        </header>
        <main>
        %s
        </main>
        <footer>De Gouden Korst B.V., Bakkerstraat 1, 3511 AB Utrecht · optin4j Spring Boot sample</footer>
        </body>
        </html>
        """
        .formatted(text(title), main);
  }
}
