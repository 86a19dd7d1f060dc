package org.optin4j.proof;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * A verified consent receipt (GDPR Art. 7(1)): the fields of the signed JSON document a subject receives when they
 * confirm, following the Kantara Initiative Consent Receipt Specification v1.1 and the consent record of ISO/IEC TS
 * 27560 where they apply, plus optin4j's proof fields (notice version and hash, history head). Obtain one from
 * {@link ConsentReceipts#verify}; the complete signed JSON is {@link #json()}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param receiptId {@code consentReceiptID}: a random UUID
 * @param version {@code version}: the Kantara receipt version, {@code KI-CR-v1.1.0}
 * @param jurisdiction {@code jurisdiction}, for example {@code EU}
 * @param consentTimestamp {@code consentTimestamp}: the latest confirmation among the purposes (to the second)
 * @param issuedAt {@code iat}: when the receipt was signed
 * @param issuer {@code iss}: who signed (the app's base URL by default)
 * @param collectionMethod {@code collectionMethod}
 * @param language {@code language} of the titles and notices
 * @param subjectId {@code piiPrincipalId}: the opaque subject id, never the address
 * @param controllerName the controller's name ({@code piiControllers[0].piiController})
 * @param controllerAddress the controller's postal address
 * @param controllerContact the controller's contact address
 * @param policyUrl {@code policyUrl}, or {@code null}
 * @param purposes the purposes consented to
 * @param withdrawalMethod how to withdraw
 * @param historyPosition the subject's history chain position when the receipt was signed
 * @param historyHash the chain hash at that position: anchors the stored history ({@link ConsentProof#verifyHistory})
 * @param json the signed payload as it was signed
 */
public record ConsentReceipt(
    String receiptId,
    String version,
    String jurisdiction,
    Instant consentTimestamp,
    Instant issuedAt,
    String issuer,
    String collectionMethod,
    String language,
    SubjectId subjectId,
    String controllerName,
    String controllerAddress,
    String controllerContact,
    String policyUrl,
    List<ReceiptPurpose> purposes,
    String withdrawalMethod,
    int historyPosition,
    String historyHash,
    String json) {

  /** Validates the required components and copies the list. */
  public ConsentReceipt {
    Objects.requireNonNull(receiptId, "receiptId");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(consentTimestamp, "consentTimestamp");
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(controllerName, "controllerName");
    purposes = List.copyOf(purposes);
    Objects.requireNonNull(historyHash, "historyHash");
    Objects.requireNonNull(json, "json");
  }

  /**
   * One purpose on a receipt ({@code services[0].purposes[i]}).
   *
   * @param id {@code purposeId}
   * @param title {@code purpose}: the title in the receipt's language
   * @param legalBasis {@code legalBasis}, for example {@code GDPR Art. 6(1)(a)}
   * @param dataCategories {@code piiCategory}
   * @param termination {@code termination}: when the consent ends
   * @param purposeVersion the purpose version consented to
   * @param noticeVersion the version of the notice shown
   * @param noticeHash the SHA-256 of the notice text shown
   * @param noticeLanguage the language the notice was shown in
   * @param confirmedAt when this purpose was confirmed
   */
  public record ReceiptPurpose(
      PurposeId id,
      String title,
      String legalBasis,
      List<String> dataCategories,
      String termination,
      int purposeVersion,
      int noticeVersion,
      String noticeHash,
      String noticeLanguage,
      Instant confirmedAt) {
    /** Validates the required components and copies the list. */
    public ReceiptPurpose {
      Objects.requireNonNull(id, "id");
      dataCategories = List.copyOf(dataCategories);
      Objects.requireNonNull(noticeHash, "noticeHash");
      Objects.requireNonNull(confirmedAt, "confirmedAt");
    }
  }
}
