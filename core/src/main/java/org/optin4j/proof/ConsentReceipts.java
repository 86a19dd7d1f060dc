package org.optin4j.proof;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.internal.jose.ReceiptCrypto;

/**
 * Verifies signed consent receipts (see {@link ConsentReceipt}) without a running {@link OptIn}: for the subject, an
 * auditor or a supervisory authority who holds a receipt ({@code consent-receipt.jws}) and the controller's published
 * key set ({@code {prefix}/.well-known/jwks.json}).
 *
 * <p>What is refused (RFC 8725): any algorithm but ES256 ({@code none} and HS256 included), a {@code typ} other than
 * {@code consent-receipt+jwt}, any header parameter but {@code alg}, {@code typ} and {@code kid} (keys are never taken
 * from {@code jku}, {@code jwk}, {@code x5u} or {@code x5c}), a {@code kid} not in the given set, a bad signature,
 * inputs over 64 KiB, and payloads without the receipt fields. Stateless and thread-safe.
 */
public final class ConsentReceipts {
  private ConsentReceipts() {}

  /**
   * Verifies a receipt.
   *
   * @param jws the receipt, a compact JWS
   * @param jwksJson the controller's public JWK set
   * @return the verified receipt, or why not; never throws for bad input
   */
  public static ReceiptVerification verify(String jws, String jwksJson) {
    ReceiptCrypto.Checked checked = ReceiptCrypto.verify(jws, jwksJson);
    if (checked instanceof ReceiptCrypto.Checked.Refused r) {
      return new ReceiptVerification.Invalid(r.reason());
    }
    ReceiptCrypto.Checked.Verified v = (ReceiptCrypto.Checked.Verified) checked;
    try {
      return new ReceiptVerification.Valid(v.kid(), parse(v.payload(), v.json()));
    } catch (RuntimeException e) {
      return new ReceiptVerification.Invalid("malformed receipt payload");
    }
  }

  @SuppressWarnings("unchecked")
  private static ConsentReceipt parse(Map<String, Object> p, String json) {
    List<Object> controllers = (List<Object>) p.get("piiControllers");
    Map<String, Object> controller = (Map<String, Object>) controllers.get(0);
    List<Object> services = (List<Object>) p.get("services");
    Map<String, Object> service = (Map<String, Object>) services.get(0);
    List<ConsentReceipt.ReceiptPurpose> purposes = new ArrayList<>();
    for (Object o : (List<Object>) service.get("purposes")) {
      Map<String, Object> m = (Map<String, Object>) o;
      Map<String, Object> notice = (Map<String, Object>) m.get("notice");
      List<String> categories = new ArrayList<>();
      for (Object c : (List<Object>) m.get("piiCategory")) {
        categories.add((String) c);
      }
      purposes.add(
          new ConsentReceipt.ReceiptPurpose(
              PurposeId.of((String) m.get("purposeId")),
              (String) m.get("purpose"),
              (String) m.get("legalBasis"),
              categories,
              (String) m.get("termination"),
              number(m, "purposeVersion").intValue(),
              number(notice, "version").intValue(),
              (String) notice.get("hash"),
              (String) notice.get("language"),
              Instant.ofEpochSecond(number(m, "consentTimestamp").longValue())));
    }
    Map<String, Object> head = (Map<String, Object>) p.get("historyHead");
    return new ConsentReceipt(
        (String) p.get("consentReceiptID"),
        (String) p.get("version"),
        (String) p.get("jurisdiction"),
        Instant.ofEpochSecond(number(p, "consentTimestamp").longValue()),
        Instant.ofEpochSecond(number(p, "iat").longValue()),
        (String) p.get("iss"),
        (String) p.get("collectionMethod"),
        (String) p.get("language"),
        new SubjectId((String) p.get("piiPrincipalId")),
        (String) controller.get("piiController"),
        (String) controller.get("address"),
        (String) controller.get("email"),
        (String) p.get("policyUrl"),
        purposes,
        (String) p.get("withdrawalMethod"),
        number(head, "position").intValue(),
        (String) head.get("hash"),
        json);
  }

  private static Number number(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException("missing number " + key);
    }
    return n;
  }
}
