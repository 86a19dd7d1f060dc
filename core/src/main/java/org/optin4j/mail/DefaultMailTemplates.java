package org.optin4j.mail;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailTemplates;
import org.optin4j.text.TextBundle;
import org.owasp.encoder.Encode;

/**
 * The built-in mail templates in English, Dutch, German and French; any other language gets English.
 *
 * <ul>
 *   <li>{@link MailKind#CONFIRMATION}: neutral and transactional (security rule 23): it names each purpose, carries the
 *       confirm link and until when it works, says to ignore the mail if the reader did not ask, and names the
 *       controller with its address and contact. No unsubscribe link (there is nothing to unsubscribe from yet) and
 *       nothing promotional.
 *   <li>{@link MailKind#RECEIPT}: what was agreed to, the preference-center link, the one-click unsubscribe page link
 *       and that consent can be withdrawn at any time (GDPR Art. 7(3)).
 *   <li>{@link MailKind#ADDRESS_CHANGE_STEP_UP}, {@link MailKind#ERASURE_STEP_UP}: to the address on file, what was
 *       asked through the preferences link, what happens if the reader goes on, until when the link works, and that
 *       ignoring the mail changes nothing.
 *   <li>{@link MailKind#ADDRESS_CHANGED_NOTICE}: to the old address, that the address was changed and the link that
 *       undoes the change.
 * </ul>
 *
 * <p>Each mail has a plain-text body with every link on its own line and a simple, accessible HTML body: a
 * {@code lang} attribute, real {@code <a>} links whose address is also shown as text, no images, no external
 * resources, inline styles only. Every value is encoded for its context with the OWASP Java Encoder (security rule 9);
 * links must be absolute {@code http(s)} URIs. Dates are shown in the mail's language, in UTC. The subject never
 * contains CR, LF or other control characters (RFC 5322 section 2.2), so a controller name cannot inject a header.
 *
 * <p>Texts live in {@code messages_<language>.properties} (UTF-8) next to this class and are loaded once by the
 * constructor. A placeholder {@code {name}} is replaced by a value: {@code {controller}}, {@code {address}} and
 * {@code {contact}} of the controller, and {@code {date}}, until when the link works. An app can replace any text, key
 * by key, with {@link #overriddenBy(String)}, as it can the hosted pages' texts. Immutable and thread-safe.
 */
public final class DefaultMailTemplates implements MailTemplates {
  private static final String LINK_STYLE =
      "color:#0b4f8a;text-decoration:underline;word-break:break-all;";
  private static final String BUTTON_STYLE =
      "display:inline-block;padding:12px 20px;background-color:#0b4f8a;"
          + "color:#ffffff;text-decoration:none;border-radius:4px;font-weight:bold;";

  private final TextBundle texts;

  /** Creates the templates, loading the texts of every language. */
  public DefaultMailTemplates() {
    this(
        TextBundle.shipped(
            "mail template text",
            "org.optin4j.mail.messages",
            DefaultMailTemplates.class.getClassLoader()));
  }

  private DefaultMailTemplates(TextBundle texts) {
    this.texts = texts;
  }

  /**
   * Creates the templates with some texts replaced by the app's, key by key; every other text stays the built-in one.
   *
   * <p>The app's texts are a resource bundle on the class path (found through the thread's context class loader):
   * {@code <baseName>.properties} for every language, {@code <baseName>_<language>.properties} (en, nl, de, fr) for
   * one; UTF-8. Keys are those of {@code org/optin4j/mail/messages_en.properties}, and a text may use the placeholders
   * of the text it replaces. For example {@code com/shop/optin-mails_de.properties} holding
   * {@code confirmation.subject=Bitte bestätigen Sie Ihren Newsletter von {controller}}.
   *
   * @param baseName the bundle's base name, for example {@code com.shop.optin-mails}
   * @return the templates
   * @throws ConfigurationException naming every problem: no such bundle, an unknown key, or a placeholder the
   *     replaced text does not have
   */
  public static DefaultMailTemplates overriddenBy(String baseName) {
    Objects.requireNonNull(baseName, "baseName");
    return new DefaultMailTemplates(new DefaultMailTemplates().texts.overriddenBy(baseName));
  }

  @Override
  public Rendered render(MailKind kind, Model model) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(model, "model");
    String language = TextBundle.language(model.locale());
    Texts t = new Texts(texts, Locale.forLanguageTag(language), model);
    requireHttpUri(model.actionUrl(), "actionUrl");
    if (model.unsubscribeUrl() != null) {
      requireHttpUri(model.unsubscribeUrl(), "unsubscribeUrl");
    }
    if (model.controller().privacyPolicyUrl() != null) {
      requireHttpUri(model.controller().privacyPolicyUrl(), "controller privacy policy URL");
    }
    String prefix =
        switch (kind) {
          case CONFIRMATION -> "confirmation.";
          case RECEIPT -> "receipt.";
          case ADDRESS_CONFIRMATION -> "address.";
          case DATA_EXPORT -> "export.";
          case ADDRESS_CHANGE_STEP_UP -> "stepup.address.";
          case ERASURE_STEP_UP -> "stepup.erase.";
          case ADDRESS_CHANGED_NOTICE -> "notme.";
          case BREACH_NOTICE, CAMPAIGN ->
              throw new IllegalArgumentException(
                  kind
                      + " mails carry the controller's own text and are not rendered by templates");
        };
    String subject = singleLine(t.text(prefix + "subject"));

    StringBuilder text = new StringBuilder();
    StringBuilder html = new StringBuilder();
    htmlStart(html, language, subject);
    paragraph(t, "greeting", text, html);
    paragraph(t, prefix + "intro", text, html);
    purposes(model.purposes(), text, html);
    switch (kind) {
      case CONFIRMATION,
          ADDRESS_CONFIRMATION,
          ADDRESS_CHANGE_STEP_UP,
          ERASURE_STEP_UP,
          ADDRESS_CHANGED_NOTICE -> {
        link(t, prefix + "action", prefix + "button", model.actionUrl(), text, html);
        if (model.expiresAt() != null) {
          paragraph(t, "confirmation.expires", text, html);
        }
        paragraph(t, prefix + "ignore", text, html);
      }
      case RECEIPT -> {
        link(t, "receipt.preferences", "receipt.preferences.button", model.actionUrl(), text, html);
        if (model.unsubscribeUrl() != null) {
          link(
              t,
              "receipt.unsubscribe",
              "receipt.unsubscribe.button",
              model.unsubscribeUrl(),
              text,
              html);
        }
        paragraph(t, "receipt.withdraw", text, html);
      }
      case DATA_EXPORT -> {
        paragraph(t, "export.format", text, html);
        link(t, "receipt.preferences", "receipt.preferences.button", model.actionUrl(), text, html);
        paragraph(t, "export.ignore", text, html);
      }
      case BREACH_NOTICE, CAMPAIGN -> throw new AssertionError(kind);
    }
    footer(t, model.controller(), text, html);
    html.append("</div>\n</body>\n</html>\n");
    return new Rendered(subject, text.toString(), html.toString());
  }

  private static void htmlStart(StringBuilder html, String language, String subject) {
    html.append("<!DOCTYPE html>\n<html lang=\"")
        .append(Encode.forHtmlAttribute(language))
        .append("\">\n<head>\n")
        .append("<meta charset=\"UTF-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>")
        .append(Encode.forHtml(subject))
        .append("</title>\n</head>\n")
        .append("<body style=\"margin:0;padding:0;background-color:#ffffff;color:#1a1a1a;")
        .append("font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;\">\n")
        .append("<div role=\"article\" aria-label=\"")
        .append(Encode.forHtmlAttribute(subject))
        .append("\" style=\"max-width:600px;margin:0 auto;padding:24px;\">\n");
  }

  private static void paragraph(Texts t, String key, StringBuilder text, StringBuilder html) {
    text.append(t.text(key)).append("\n\n");
    html.append("<p style=\"margin:0 0 16px 0;\">").append(t.html(key)).append("</p>\n");
  }

  private static void purposes(List<PurposeLine> purposes, StringBuilder text, StringBuilder html) {
    if (purposes.isEmpty()) {
      return;
    }
    html.append("<ul style=\"margin:0 0 16px 0;padding-left:24px;\">\n");
    for (PurposeLine p : purposes) {
      String description = p.description().strip();
      text.append("- ").append(p.title().strip());
      html.append("<li style=\"margin:0 0 8px 0;\"><strong>")
          .append(Encode.forHtml(p.title().strip()))
          .append("</strong>");
      if (!description.isEmpty()) {
        text.append(": ").append(description);
        html.append("<br>").append(Encode.forHtml(description));
      }
      text.append('\n');
      html.append("</li>\n");
    }
    text.append('\n');
    html.append("</ul>\n");
  }

  /** A sentence, then the link on its own line (text) or as a button plus the visible address (HTML). */
  private static void link(
      Texts t, String lead, String button, String url, StringBuilder text, StringBuilder html) {
    text.append(t.text(lead)).append('\n').append(url).append("\n\n");
    String href = Encode.forHtmlAttribute(url);
    html.append("<p style=\"margin:0 0 8px 0;\">")
        .append(t.html(lead))
        .append("</p>\n")
        .append("<p style=\"margin:0 0 8px 0;\"><a href=\"")
        .append(href)
        .append("\" style=\"")
        .append(BUTTON_STYLE)
        .append("\">")
        .append(t.html(button))
        .append("</a></p>\n")
        .append("<p style=\"margin:0 0 16px 0;font-size:14px;\">")
        .append(t.html("copy"))
        .append("<br>")
        .append("<a href=\"")
        .append(href)
        .append("\" style=\"")
        .append(LINK_STYLE)
        .append("\">")
        .append(Encode.forHtml(url))
        .append("</a></p>\n");
  }

  private static void footer(
      Texts t, Controller controller, StringBuilder text, StringBuilder html) {
    text.append("-- \n").append(t.text("footer.sender")).append('\n');
    html.append("<hr style=\"border:none;border-top:1px solid #cccccc;margin:24px 0 16px 0;\">\n")
        .append("<p style=\"margin:0 0 8px 0;font-size:13px;color:#4d4d4d;\">")
        .append(t.html("footer.sender"))
        .append("</p>\n");
    String privacy = controller.privacyPolicyUrl();
    if (privacy != null) {
      text.append(t.text("footer.privacy")).append('\n').append(privacy).append('\n');
      html.append("<p style=\"margin:0;font-size:13px;color:#4d4d4d;\">")
          .append(t.html("footer.privacy"))
          .append(' ')
          .append("<a href=\"")
          .append(Encode.forHtmlAttribute(privacy))
          .append("\" style=\"")
          .append(LINK_STYLE)
          .append("\">")
          .append(Encode.forHtml(privacy))
          .append("</a></p>\n");
    }
  }

  private static void requireHttpUri(String url, String what) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      // The message leaves the URL out: links carry tokens, which must not reach logs (security
      // rule 13).
      throw new IllegalArgumentException(what + " is not a valid URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
      throw new IllegalArgumentException(what + " must be an absolute http(s) URI");
    }
  }

  private static String singleLine(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
    return b.toString().replaceAll(" {2,}", " ").strip();
  }

  /** The texts of one language with the model's values, as plain text or HTML. */
  private static final class Texts {
    private final TextBundle bundle;
    private final Locale locale;
    private final Map<String, String> values;

    Texts(TextBundle bundle, Locale locale, Model model) {
      this.bundle = bundle;
      this.locale = locale;
      Controller c = model.controller();
      Map<String, String> v = new HashMap<>();
      v.put("controller", c.name());
      v.put("address", c.address());
      v.put("contact", c.contactEmail());
      if (model.expiresAt() != null) {
        v.put("date", formatDate(model.expiresAt(), locale));
      }
      this.values = Map.copyOf(v);
    }

    private static String formatDate(Instant instant, Locale locale) {
      return DateTimeFormatter.ofLocalizedDateTime(FormatStyle.LONG, FormatStyle.SHORT)
              .withLocale(locale)
              .withZone(ZoneOffset.UTC)
              .format(instant)
          + " UTC";
    }

    String text(String key) {
      return bundle.text(locale, key, values);
    }

    /** Literal text and values are encoded alike, so neither can inject markup. */
    String html(String key) {
      return Encode.forHtml(text(key));
    }
  }
}
