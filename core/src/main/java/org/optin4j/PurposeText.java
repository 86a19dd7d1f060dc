package org.optin4j;

import java.util.Objects;

/**
 * The texts of a purpose in one language, as shown in its notice (GDPR Art. 13(1)(c), 13(2)).
 *
 * @param title a short name, for example "Monthly newsletter"
 * @param description why the data is processed, in plain words
 * @param data which data is used, in plain words, for example "your email address"
 */
public record PurposeText(String title, String description, String data) {
  /** Validates that every text is present and not blank. */
  public PurposeText {
    title = requireText(title, "title");
    description = requireText(description, "description");
    data = requireText(data, "data");
  }

  private static String requireText(String s, String name) {
    Objects.requireNonNull(s, name);
    String t = s.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("purpose " + name + " must not be blank");
    }
    return t;
  }
}
