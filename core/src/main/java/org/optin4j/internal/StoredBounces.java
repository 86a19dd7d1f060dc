package org.optin4j.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentChange;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.lists.BounceSettings;
import org.optin4j.lists.Bounces;
import org.optin4j.lists.ReportOutcome;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.ReportStore;

/**
 * The implementation of {@link Bounces} over the consent store; see there and {@code docs/bounces.md}. Not API.
 * Thread-safe: each report keeps its state on its own stack.
 */
public final class StoredBounces implements Bounces {
  /** The most bytes of a report that are read. */
  static final int MAX_REPORT = 4 * 1024 * 1024;

  private final ServiceCore core;
  private final VerpAddress verp;
  private final BounceSettings settings;

  /**
   * Creates the facet.
   *
   * @param core the shared collaborators
   * @param verp the VERP scheme, or {@code null} if no bounce address is configured (every report is set aside)
   * @param settings the thresholds
   */
  public StoredBounces(ServiceCore core, VerpAddress verp, BounceSettings settings) {
    this.core = core;
    this.verp = verp;
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public ReportOutcome report(byte[] message) {
    Objects.requireNonNull(message, "message");
    byte[] raw =
        message.length > MAX_REPORT ? java.util.Arrays.copyOf(message, MAX_REPORT) : message;
    return act(DeliveryReport.read(raw), raw);
  }

  @Override
  public ReportOutcome sns(String body, org.optin4j.lists.SnsSettings settings) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(settings, "settings");
    if (body.length() > MAX_REPORT) {
      return new ReportOutcome.Refused("SNS message too large");
    }
    SnsNotification.Read read = SnsNotification.read(body, settings);
    if (read instanceof SnsNotification.Refused r) {
      return new ReportOutcome.Refused(r.reason());
    }
    if (read instanceof SnsNotification.Confirmation) {
      // Confirming is the operator's decision (console, or a GET of the SubscribeURL): an accepted
      // topic is theirs.
      return new ReportOutcome.NothingToDo(
          "SNS subscription confirmation of an accepted topic: confirm it with its SubscribeURL");
    }
    return act(((SnsNotification.Report) read).report(), body.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public ReportOutcome relayed(
      String body,
      java.util.Map<String, String> headers,
      org.optin4j.feed.WebhookVerifier verifier) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(verifier, "verifier");
    if (body.length() > MAX_REPORT) {
      return new ReportOutcome.Refused("relayed report too large");
    }
    byte[] raw = body.getBytes(StandardCharsets.UTF_8);
    try {
      // Verified before anything is parsed or kept: only the holder of the secret gets a report set
      // aside (anyone can POST to a public endpoint).
      verifier.verify(
          name -> {
            for (java.util.Map.Entry<String, String> e : headers.entrySet()) {
              if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
              }
            }
            return null;
          },
          raw);
    } catch (org.optin4j.feed.WebhookVerificationException e) {
      return new ReportOutcome.Refused("relayed report signature does not verify: " + e.reason());
    }
    return act(RelayedReport.read(body), raw);
  }

  private ReportOutcome act(DeliveryReport report, byte[] raw) {
    if (report instanceof DeliveryReport.Unreadable u) {
      return setAside(u.reason(), raw);
    }
    if (report instanceof DeliveryReport.NothingToDo n) {
      return new ReportOutcome.NothingToDo(n.reason());
    }
    if (verp == null) {
      return setAside(
          "no bounce address is configured, so no report can be matched to a mail", raw);
    }
    Optional<VerpAddress.Tagged> tagged = Optional.empty();
    boolean forged = false;
    for (String candidate : report.verpCandidates()) {
      if (verp.isOurs(candidate)) {
        tagged = verp.read(candidate);
        if (tagged.isPresent()) {
          break;
        }
        forged = true;
      }
    }
    if (tagged.isEmpty()) {
      return setAside(
          forged
              ? "the VERP tag does not verify (forged or mangled)"
              : "no VERP address of this installation in the report",
          raw);
    }
    VerpAddress.Tagged tag = tagged.get();
    String sha256 = sha256(raw);
    List<ConsentChange> changes = new ArrayList<>();
    ReportOutcome outcome =
        core.store()
            .inTransaction(
                tx -> {
                  changes.clear();
                  Instant now = core.clock().instant();
                  Optional<OutboxMail> mail =
                      tx.outbox().mails(tag.subject()).stream()
                          .filter(m -> verp.names(tag, m.id()))
                          .findFirst();
                  if (mail.isEmpty()) {
                    return null;
                  }
                  tx.history().lock(tag.subject());
                  if (report instanceof DeliveryReport.Bounce b) {
                    return bounce(tx, mail.get(), b, now, sha256);
                  }
                  return complaint(
                      tx, mail.get(), (DeliveryReport.Complaint) report, now, sha256, changes);
                });
    if (outcome == null) {
      return setAside("the mail the report names is no longer in the outbox", raw);
    }
    core.afterCommit(changes);
    return outcome;
  }

  private ReportOutcome bounce(
      ConsentStore.Transaction tx,
      OutboxMail mail,
      DeliveryReport.Bounce b,
      Instant now,
      String sha256) {
    String diagnostic = b.diagnostic() == null ? "" : " " + b.diagnostic();
    String source =
        bounded("bounce " + b.status() + diagnostic, 180) + " sha256=" + sha256.substring(0, 16);
    if (b.permanent()) {
      int marked = UndeliverableMark.markMail(tx, mail, now, Channel.SYSTEM, source);
      tx.reports().purgeSoftBounces(mail.subjectId(), Instant.MAX);
      return new ReportOutcome.Undeliverable(mail.subjectId(), b.status(), marked);
    }
    tx.reports().addSoftBounce(mail.subjectId(), mail.id(), now);
    int count =
        tx.reports().countSoftBounces(mail.subjectId(), now.minus(settings.softBounceWindow()));
    boolean reached = count >= settings.softBounceLimit();
    if (reached) {
      UndeliverableMark.markMail(
          tx,
          mail,
          now,
          Channel.SYSTEM,
          bounded(
              count
                  + " temporary bounces within "
                  + settings.softBounceWindow().toDays()
                  + " days, last "
                  + source,
              200));
      tx.reports().purgeSoftBounces(mail.subjectId(), Instant.MAX);
    }
    return new ReportOutcome.SoftBounce(mail.subjectId(), b.status(), count, reached);
  }

  private ReportOutcome complaint(
      ConsentStore.Transaction tx,
      OutboxMail mail,
      DeliveryReport.Complaint c,
      Instant now,
      String sha256,
      List<ConsentChange> changes) {
    Optional<Subject> subject = tx.subjects().subject(mail.subjectId());
    if (subject.isEmpty()) {
      return new ReportOutcome.Complaint(mail.subjectId(), Set.of());
    }
    String source = "complaint: ARF feedback-type=" + c.feedbackType() + " sha256=" + sha256;
    Set<PurposeId> done = new TreeSet<>();
    for (Consent consent : tx.subjects().consents(mail.subjectId())) {
      if (consent.state() == ConsentState.PENDING || consent.state() == ConsentState.CONFIRMED) {
        tx.subjects().saveConsent(consent.withdraw(now));
        HistoryChain.append(
            tx,
            new ConsentEvent(
                0,
                consent.subjectId(),
                consent.purpose(),
                ConsentEvent.Type.WITHDRAWN,
                now,
                consent.requestId(),
                consent.notice(),
                source,
                Channel.SYSTEM,
                Evidence.NONE,
                null));
        done.add(consent.purpose());
      }
    }
    if (!done.isEmpty()) {
      changes.add(
          new ConsentChange(
              ConsentChange.Type.WITHDRAWN,
              mail.subjectId(),
              subject.get().email(),
              done,
              now,
              Channel.SYSTEM));
    }
    return new ReportOutcome.Complaint(mail.subjectId(), done);
  }

  private ReportOutcome.SetAside setAside(String reason, byte[] raw) {
    String id = core.randomId();
    String excerpt = excerpt(raw);
    String why = bounded(reason, 500);
    core.store()
        .inTransaction(
            tx -> {
              tx.reports()
                  .setAside(new ReportStore.AsideReport(id, core.clock().instant(), why, excerpt));
              return null;
            });
    return new ReportOutcome.SetAside(id, why);
  }

  @Override
  public List<ReportStore.AsideReport> setAside(int limit) {
    return core.store().read(tx -> tx.reports().setAside(limit));
  }

  @Override
  public int purge() {
    Instant now = core.clock().instant();
    return core.store()
        .inTransaction(
            tx ->
                tx.reports().purgeSetAside(now.minus(settings.asideRetention()))
                    + tx.reports().purgeSoftBounces(null, now.minus(settings.softBounceWindow())));
  }

  /** The start of the raw message as text, without NUL (which PostgreSQL refuses), cut on a character boundary. */
  static String excerpt(byte[] raw) {
    int n = Math.min(raw.length, ReportStore.AsideReport.MAX_EXCERPT);
    String s = new String(raw, 0, n, StandardCharsets.UTF_8).replace('\0', ' ');
    if (s.length() > ReportStore.AsideReport.MAX_EXCERPT) {
      s = s.substring(0, ReportStore.AsideReport.MAX_EXCERPT);
    }
    if (!s.isEmpty() && Character.isHighSurrogate(s.charAt(s.length() - 1))) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String bounded(String s, int max) {
    return s.length() > max ? s.substring(0, max) : s;
  }

  private static String sha256(byte[] raw) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
