package org.optin4j.internal;

import java.util.Map;
import org.optin4j.Controller;
import org.optin4j.EmailAddress;
import org.optin4j.spi.MailMessage;
import org.owasp.encoder.Encode;

/**
 * Renders mails whose content the controller wrote (breach notifications, campaigns) rather than the library's
 * templates: the text as written, an HTML part (the app's own, or the text encoded paragraph by paragraph), and the
 * controller's name, postal address and contact as footer (GDPR Art. 13(1)(a); bulk-sender rules ask for a postal
 * address). Stateless and thread-safe.
 */
public final class ControllerMail {
  private ControllerMail() {}

  /**
   * Renders a mail.
   *
   * @param to the recipient
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body as the app wrote it, or {@code null} to derive one from the text
   * @param controller the controller for the footer
   * @param headers extra headers
   * @return the mail
   */
  public static MailMessage render(
      EmailAddress to,
      String subject,
      String text,
      String html,
      Controller controller,
      Map<String, String> headers) {
    String footer =
        controller.name() + ", " + controller.address() + " - " + controller.contactEmail();
    String fullText = text.strip() + "\n\n-- \n" + footer + "\n";
    String fullHtml;
    if (html != null) {
      fullHtml = html;
    } else {
      StringBuilder b =
          new StringBuilder("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n<title>")
              .append(Encode.forHtml(subject))
              .append("</title>\n</head>\n<body>\n");
      for (String paragraph : text.strip().split("\\R\\s*\\R")) {
        b.append("<p>")
            .append(Encode.forHtml(paragraph.strip()).replaceAll("\\R", "<br>\n"))
            .append("</p>\n");
      }
      b.append("<hr>\n<p style=\"font-size:12px;color:#555555;\">")
          .append(Encode.forHtml(footer))
          .append("</p>\n</body>\n</html>\n");
      fullHtml = b.toString();
    }
    return new MailMessage(to, subject, fullText, fullHtml, headers, java.util.List.of());
  }
}
