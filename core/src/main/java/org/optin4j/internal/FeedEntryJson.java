package org.optin4j.internal;

import java.util.Locale;
import org.optin4j.feed.FeedEntry;

/**
 * The JSON form of a feed entry, and of the webhook body that wraps it (Standard Webhooks payload convention:
 * {@code type}, {@code timestamp}, {@code data}). Field order is fixed; no address, ever. Stateless.
 */
public final class FeedEntryJson {
  private FeedEntryJson() {}

  /**
   * Returns the entry as a JSON object: id ({@code msg_<position>}), cursor, subjectId, purpose, type, at, channel.
   *
   * @param e a stored entry
   * @return the JSON text
   */
  public static String entry(FeedEntry e) {
    StringBuilder b = new StringBuilder(200);
    b.append("{\"id\":");
    string(b, messageId(e));
    b.append(",\"cursor\":");
    string(b, e.cursor().toString());
    b.append(",\"subjectId\":");
    string(b, e.subjectId().value());
    b.append(",\"purpose\":");
    string(b, e.purpose().value());
    b.append(",\"type\":");
    string(b, e.type().name());
    b.append(",\"at\":");
    string(b, e.at().toString());
    b.append(",\"channel\":");
    string(b, e.channel().name());
    return b.append('}').toString();
  }

  /**
   * Returns the webhook body of an entry: {@code {"type":"consent.<type>","timestamp":"<at>","data":<entry>}}.
   *
   * @param e a stored entry
   * @return the JSON text
   */
  public static String webhookBody(FeedEntry e) {
    StringBuilder b = new StringBuilder(300);
    b.append("{\"type\":");
    string(b, "consent." + e.type().name().toLowerCase(Locale.ROOT));
    b.append(",\"timestamp\":");
    string(b, e.at().toString());
    b.append(",\"data\":").append(entry(e));
    return b.append('}').toString();
  }

  /**
   * Returns the message id of an entry, the {@code webhook-id}: {@code msg_} and its position.
   *
   * @param e a stored entry
   * @return the id
   */
  public static String messageId(FeedEntry e) {
    return "msg_" + e.position();
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (ch < 0x20) {
            b.append(String.format("\\u%04x", (int) ch));
          } else {
            b.append(ch);
          }
        }
      }
    }
    b.append('"');
  }
}
