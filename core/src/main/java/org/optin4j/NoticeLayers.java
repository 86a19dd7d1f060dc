package org.optin4j;

import java.util.List;
import java.util.Objects;

/**
 * A notice's text cut into its layers, so that a page can show each part where it belongs (Art. 29 WP 260 rev.01,
 * paragraphs 35-38: the key facts at the point of choice, the rest one click away) while showing every character of
 * the text whose hash the consent keeps (GDPR Art. 7(1)).
 *
 * <p>The parts, joined with blank lines in this order, are exactly {@link Notice#text()}: {@code intro}, each of
 * {@code purposes} (one per purpose in catalog order: title, which data, why, how long), {@code summary} (the
 * controller and where the full information is), {@code moreHeading}, and {@code details} (legal basis, recipients,
 * transfers, proof; withdrawal, rights, complaint, contact). Notices stored before layering (optin4j before 1.x) have
 * none: {@link OptIn#noticeLayers(Notice)} is empty for them, and they are shown as one text.
 *
 * <p>Immutable and thread-safe.
 *
 * @param intro the first paragraph
 * @param purposes the short text of each purpose, in the order of {@link Notice#purposes()} as the catalog lists them
 * @param summary the line naming the controller and pointing to the full information
 * @param informationLink the words of {@code summary} to link to the information page ({@link InformationPage}), or
 *     {@code null} if it has none
 * @param privacyPolicyUrl the privacy policy's address as it appears in {@code summary}, to link, or {@code null}
 * @param moreHeading the line that opens the second layer
 * @param details the second layer
 */
public record NoticeLayers(
    String intro,
    List<String> purposes,
    String summary,
    String informationLink,
    String privacyPolicyUrl,
    String moreHeading,
    String details) {

  /** Validates that every part is present. */
  public NoticeLayers {
    Objects.requireNonNull(intro, "intro");
    purposes = List.copyOf(purposes);
    Objects.requireNonNull(summary, "summary");
    if (informationLink != null && !summary.contains(informationLink)) {
      throw new IllegalArgumentException("informationLink must be words of the summary");
    }
    if (privacyPolicyUrl != null && !summary.contains(privacyPolicyUrl)) {
      throw new IllegalArgumentException("privacyPolicyUrl must appear in the summary");
    }
    Objects.requireNonNull(moreHeading, "moreHeading");
    Objects.requireNonNull(details, "details");
  }

  /** Returns the parts joined as the notice text they were cut from. */
  public String text() {
    StringBuilder b = new StringBuilder(intro).append("\n\n");
    purposes.forEach(p -> b.append(p).append("\n\n"));
    return b.append(summary)
        .append("\n\n")
        .append(moreHeading)
        .append("\n\n")
        .append(details)
        .toString();
  }
}
