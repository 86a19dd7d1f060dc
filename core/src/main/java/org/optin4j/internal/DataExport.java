package org.optin4j.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.optin4j.Consent;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.Subject;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OutboxMail;

/**
 * Builds the machine-readable export of everything the library holds about one subject (GDPR Art. 15 access, Art. 20
 * portability; security rule 18). The shape is the published schema {@code docs/export-schema.json}, version
 * {@value #VERSION}; a field is never removed or renamed within a version.
 *
 * <p>Stateless and thread-safe.
 */
public final class DataExport {
  /** The schema version written into every export. */
  public static final int VERSION = 1;

  /** The schema identifier written into every export. */
  public static final String SCHEMA = "https://optin4j.org/schema/export/v1.json";

  private DataExport() {}

  /**
   * Builds the export inside a store transaction.
   *
   * @param tx the transaction
   * @param subject the subject
   * @param now the export time
   * @return the JSON text
   */
  public static String json(ConsentStore.Transaction tx, Subject subject, Instant now) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("$schema", SCHEMA);
    root.put("version", VERSION);
    root.put("exportedAt", now.toString());

    Map<String, Object> s = new LinkedHashMap<>();
    s.put("id", subject.id().value());
    s.put(
        "email",
        subject.email().unicode()); // as the person writes it: U-label domain (the key is value())
    s.put("createdAt", subject.createdAt().toString());
    root.put("subject", s);

    List<ConsentEvent> events = tx.history().events(subject.id());
    Set<String> noticeHashes = new LinkedHashSet<>();
    List<Object> consents = new ArrayList<>();
    for (Consent c : tx.subjects().consents(subject.id())) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("purpose", c.purpose().value());
      m.put("purposeVersion", c.purposeVersion());
      m.put("state", c.state().name());
      m.put("restricted", c.restricted());
      m.put("noticeVersion", c.notice().version());
      m.put("noticeHash", c.notice().hash());
      m.put("noticeLocale", c.notice().locale().toLanguageTag());
      m.put("requestId", c.requestId());
      m.put("requestedAt", c.requestedAt().toString());
      m.put("confirmedAt", text(c.confirmedAt()));
      m.put(
          "withdrawnAt",
          c.state() == org.optin4j.ConsentState.WITHDRAWN ? text(c.endedAt()) : null);
      m.put("endedAt", text(c.endedAt()));
      Map<String, Object> evidence = new LinkedHashMap<>();
      evidence.put("request", lastEvidence(events, c, ConsentEvent.Type.REQUESTED));
      evidence.put("confirmation", lastEvidence(events, c, ConsentEvent.Type.CONFIRMED));
      m.put("evidence", evidence);
      consents.add(m);
      noticeHashes.add(c.notice().hash());
    }
    root.put("consents", consents);

    List<Object> history = new ArrayList<>();
    for (ConsentEvent e : events) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sequence", e.sequence());
      m.put("type", e.type().name());
      m.put("purpose", e.purpose().value());
      m.put("at", e.at().toString());
      m.put("requestId", e.requestId());
      m.put("noticeVersion", e.notice() == null ? null : e.notice().version());
      m.put("noticeHash", e.notice() == null ? null : e.notice().hash());
      m.put("source", e.source());
      m.put("channel", e.channel().name());
      m.put("evidence", evidence(e.evidence()));
      m.put("tokenId", e.tokenId());
      history.add(m);
      if (e.notice() != null) {
        noticeHashes.add(e.notice().hash());
      }
    }
    root.put("events", history);

    List<Object> notices = new ArrayList<>();
    for (String hash : noticeHashes) {
      tx.notices().notice(hash).ifPresent(n -> notices.add(notice(n)));
    }
    root.put("notices", notices);

    List<Object> mails = new ArrayList<>();
    for (OutboxMail mail : tx.outbox().mails(subject.id())) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("kind", mail.kind().name());
      m.put("status", mail.status().name());
      m.put("createdAt", mail.createdAt().toString());
      m.put("sentAt", text(mail.sentAt()));
      m.put("purposes", mail.purposes().stream().map(p -> p.value()).toList());
      mails.add(m);
    }
    root.put("mails", mails);
    return JSONObjectUtils.toJSONString(root);
  }

  private static Map<String, Object> notice(Notice n) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("hash", n.hash());
    m.put("version", n.version());
    m.put("locale", n.locale().toLanguageTag());
    m.put("purposes", n.purposes().stream().map(p -> p.value()).toList());
    m.put("createdAt", n.createdAt().toString());
    m.put("text", n.text());
    return m;
  }

  private static Map<String, Object> lastEvidence(
      List<ConsentEvent> events, Consent c, ConsentEvent.Type type) {
    ConsentEvent found = null;
    for (ConsentEvent e : events) {
      if (e.purpose().equals(c.purpose())
          && e.type() == type
          && c.requestId().equals(e.requestId())) {
        found = e;
      }
    }
    if (found == null) {
      return null;
    }
    Map<String, Object> m = evidence(found.evidence());
    m.put("at", found.at().toString());
    m.put("source", found.source());
    m.put("tokenId", found.tokenId());
    return m;
  }

  private static Map<String, Object> evidence(Evidence e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ip", e.ip());
    m.put("userAgent", e.userAgent());
    return m;
  }

  private static String text(Instant i) {
    return i == null ? null : i.toString();
  }
}
