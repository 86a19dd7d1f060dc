package org.optin4j.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Controller;
import org.optin4j.LegalBasis;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.Retention;
import org.optin4j.SubjectId;
import org.optin4j.internal.jose.ReceiptCrypto;
import org.optin4j.keys.ReceiptKeys;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.ConsentReceipt;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;

/**
 * Builds and signs consent receipts from the store (see {@link ConsentReceipt} for the fields). Immutable and
 * thread-safe; used inside store transactions.
 */
public final class ReceiptIssuer {
  public static final String VERSION = "KI-CR-v1.1.0";

  /** Parsed once from the keys' own JWK, so that the API type {@link ReceiptKeys} hands out no internal type. */
  private final ReceiptCrypto.Key signingKey;

  private final String jurisdiction;
  private final String issuer;
  private final Controller controller;
  private final PurposeCatalog catalog;
  private final String baseUrl;

  public ReceiptIssuer(
      ReceiptKeys keys,
      String jurisdiction,
      String issuer,
      Controller controller,
      PurposeCatalog catalog,
      String baseUrl) {
    this.signingKey = ReceiptCrypto.parseJwk(keys.activePrivateJwk(), true);
    this.jurisdiction = jurisdiction;
    this.issuer = issuer;
    this.controller = controller;
    this.catalog = catalog;
    this.baseUrl = baseUrl;
  }

  /**
   * Signs a receipt for the subject's confirmed consents.
   *
   * @param tx the transaction
   * @param subjectId the subject
   * @param only the purposes to cover, or empty for every confirmed one
   * @param now the signing time
   * @return the compact JWS, or empty if none of those purposes is confirmed
   */
  public Optional<String> issue(
      ConsentStore.Transaction tx, SubjectId subjectId, Collection<PurposeId> only, Instant now) {
    List<Consent> confirmed = new ArrayList<>();
    for (Consent c : tx.subjects().consents(subjectId)) {
      if (c.state() == ConsentState.CONFIRMED
          && (only.isEmpty() || only.contains(c.purpose()))
          && catalog.purpose(c.purpose()).isPresent()) {
        confirmed.add(c);
      }
    }
    if (confirmed.isEmpty()) {
      return Optional.empty();
    }
    Locale language = confirmed.get(0).notice().locale();
    Instant latest =
        confirmed.stream().map(Consent::confirmedAt).max(Instant::compareTo).orElseThrow();
    boolean sensitive = false;
    List<Object> purposes = new ArrayList<>();
    for (Consent c : confirmed) {
      Purpose p = catalog.require(c.purpose());
      PurposeText text =
          p.text(c.notice().locale()).or(() -> p.text(catalog.defaultLocale())).orElseThrow();
      sensitive |= p.legalBasis() == LegalBasis.EXPLICIT_CONSENT;
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("purposeId", p.id().value());
      m.put("purpose", text.title());
      m.put("purposeDescription", text.description());
      m.put("consentType", "EXPLICIT");
      m.put("purposeCategory", List.of(p.id().value()));
      m.put("piiCategory", p.dataCategories());
      m.put("primaryPurpose", true);
      m.put("termination", termination(p, c));
      m.put("thirdPartyDisclosure", false);
      m.put(
          "legalBasis",
          p.legalBasis() == LegalBasis.EXPLICIT_CONSENT
              ? "GDPR Art. 9(2)(a)"
              : "GDPR Art. 6(1)(a)");
      m.put("purposeVersion", c.purposeVersion());
      m.put("consentTimestamp", c.confirmedAt().getEpochSecond());
      Map<String, Object> notice = new LinkedHashMap<>();
      notice.put("version", c.notice().version());
      notice.put("hash", c.notice().hash());
      notice.put("hashAlgorithm", "SHA-256");
      notice.put("language", c.notice().locale().toLanguageTag());
      m.put("notice", notice);
      purposes.add(m);
    }
    Map<String, Object> controllerMap = new LinkedHashMap<>();
    controllerMap.put("piiController", controller.name());
    controllerMap.put("onBehalf", false);
    controllerMap.put("contact", controller.contactEmail());
    controllerMap.put("address", controller.address());
    controllerMap.put("email", controller.contactEmail());
    if (controller.privacyPolicyUrl() != null) {
      controllerMap.put("piiControllerUrl", controller.privacyPolicyUrl());
    }
    Map<String, Object> service = new LinkedHashMap<>();
    service.put("service", controller.name() + " e-mail");
    service.put("purposes", purposes);
    HistoryHead head =
        tx.history()
            .head(subjectId)
            .orElse(new HistoryHead(subjectId, 0, ConsentEvent.Seal.GENESIS));
    Map<String, Object> headMap = new LinkedHashMap<>();
    headMap.put("position", head.position());
    headMap.put("hash", head.hash());

    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("version", VERSION);
    payload.put("jurisdiction", jurisdiction);
    payload.put("consentTimestamp", latest.getEpochSecond());
    payload.put(
        "collectionMethod",
        "web form; e-mail address confirmed by double opt-in (signed single-use link)");
    payload.put("consentReceiptID", UUID.randomUUID().toString());
    payload.put("language", language.toLanguageTag());
    payload.put("piiPrincipalId", subjectId.value());
    payload.put("piiControllers", List.of(controllerMap));
    if (controller.privacyPolicyUrl() != null) {
      payload.put("policyUrl", controller.privacyPolicyUrl());
    }
    payload.put("services", List.of(service));
    payload.put("sensitive", sensitive);
    payload.put("spiCat", List.of());
    payload.put(
        "withdrawalMethod",
        "Withdraw at any time, as easily as you consented: the one-click unsubscribe"
            + " link in every e-mail, the preference center ("
            + baseUrl
            + "/preferences, linked from every e-mail),"
            + " or a message to "
            + controller.contactEmail()
            + ". Withdrawal takes effect at once.");
    payload.put("iss", issuer);
    payload.put("sub", subjectId.value());
    payload.put("iat", now.getEpochSecond());
    payload.put("historyHead", headMap);
    return Optional.of(ReceiptCrypto.sign(signingKey, payload));
  }

  private static String termination(Purpose p, Consent c) {
    if (p.retention() instanceof Retention.Fixed f) {
      return "ends at " + c.confirmedAt().plus(f.period()) + " unless withdrawn earlier";
    }
    return "until withdrawn";
  }
}
