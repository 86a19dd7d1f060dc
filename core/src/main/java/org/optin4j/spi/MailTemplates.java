package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.optin4j.Controller;

/**
 * Renders the library's mails. The default templates cover English, Dutch, German and French; an app replaces them
 * to change wording or design without forking.
 *
 * <p>Implementations must be thread-safe, must encode every value for its context (HTML body, attribute, URL:
 * security rule 9), and must keep the confirmation mail neutral: it names the purposes, carries the link, says to
 * ignore it if the reader did not ask, and advertises nothing (rule 23).
 */
public interface MailTemplates {

  /**
   * Renders a mail.
   *
   * @param kind which mail
   * @param model what goes in it
   * @return subject and bodies
   */
  Rendered render(MailKind kind, Model model);

  /**
   * What a mail template may show.
   *
   * @param locale the language
   * @param controller the controller
   * @param purposes the purposes concerned, with their titles in {@code locale}
   * @param actionUrl the main link: confirm (confirmation mail) or preferences (receipt)
   * @param unsubscribeUrl the one-click unsubscribe page link, or {@code null} (confirmation mail)
   * @param expiresAt until when the action link works, or {@code null}
   */
  record Model(
      Locale locale,
      Controller controller,
      List<PurposeLine> purposes,
      String actionUrl,
      String unsubscribeUrl,
      Instant expiresAt) {
    /** Validates the components. */
    public Model {
      Objects.requireNonNull(locale, "locale");
      Objects.requireNonNull(controller, "controller");
      purposes = List.copyOf(purposes);
      Objects.requireNonNull(actionUrl, "actionUrl");
    }
  }

  /**
   * One purpose as a mail names it.
   *
   * @param title the title in the mail's language
   * @param description the description in the mail's language
   */
  record PurposeLine(String title, String description) {
    /** Validates the components. */
    public PurposeLine {
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(description, "description");
    }
  }

  /**
   * A rendered mail.
   *
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body
   */
  record Rendered(String subject, String text, String html) {
    /** Validates the components. */
    public Rendered {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(html, "html");
    }
  }
}
