package org.optin4j.memory;

import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.optin4j.Consent;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.breach.Incident;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * Everything an {@link InMemoryConsentStore} holds, as a database's tables and indexes would. Not thread-safe: every
 * field is guarded by the store's lock, which each unit of work holds while it runs, and written only through a {@link
 * MemoryUnit}'s logged writes.
 */
final class MemoryState {
  final Map<SubjectId, Subject> subjects = new HashMap<>();
  final Map<EmailAddress, SubjectId> subjectIdsByEmail = new HashMap<>();
  final Map<SubjectId, NavigableMap<PurposeId, Consent>> consentsBySubject = new HashMap<>();
  final Map<SubjectId, List<ConsentEvent>> eventsBySubject = new HashMap<>();
  final NavigableMap<String, HistoryHead> historyHeads = new TreeMap<>();
  long lastSequence;

  /** The feed by position; positions are handed out under the store lock, so in commit order. */
  final NavigableMap<Long, org.optin4j.feed.FeedEntry> feed = new TreeMap<>();

  long lastFeedPosition;

  /** Webhook endpoints by id, and their deliveries by endpoint then position. */
  final Map<String, org.optin4j.spi.WebhookSubscription> webhookSubscriptions = new TreeMap<>();

  /** Reports set aside by id, and temporary bounces by subject id and mail id. */
  final Map<String, org.optin4j.spi.ReportStore.AsideReport> asideReports = new TreeMap<>();

  final Map<String, Instant> softBounces = new TreeMap<>();

  /** Per sending rate name: the next free send slot (microseconds) and the slots given per epoch second. */
  final Map<String, Long> sendNextSlots = new HashMap<>();

  final Map<String, Map<Long, Integer>> sendSlotCounts = new HashMap<>();

  final Map<String, NavigableMap<Long, org.optin4j.spi.WebhookDelivery>> webhookDeliveries =
      new HashMap<>();
  final Map<String, Notice> noticesByHash = new HashMap<>();
  final Map<String, Integer> latestNoticeVersionByKey = new HashMap<>();
  final Map<String, PendingRequest> requests = new HashMap<>();
  final Map<SubjectId, Set<String>> requestIdsBySubject = new HashMap<>();
  final Map<String, Instant> usedTokens = new HashMap<>();
  final Map<String, OutboxMail> mails = new HashMap<>();
  final Map<String, String> mailIdsByDedupeKey = new HashMap<>();
  final Map<SubjectId, List<String>> mailIdsBySubject = new HashMap<>();
  final Map<RecipientKind, List<String>> mailIdsByRecipientKind = new HashMap<>();

  /** QUEUED mails by (nextAttemptAt, createdAt, id). */
  final Map<String, Instant> suppressed = new HashMap<>();

  final Map<String, EmailAddress> addressChanges = new HashMap<>();
  final Map<String, EmailAddress> replacedAddresses = new HashMap<>();
  final Map<String, Incident> incidents = new HashMap<>();
  final Map<String, org.optin4j.campaign.Campaign> campaigns = new HashMap<>();
  final Map<String, org.optin4j.rights.RightsRequest> rightsRequests = new HashMap<>();
  final Map<String, org.optin4j.spi.NodeRegistration> nodes = new java.util.TreeMap<>();

  /** QUEUED mails other than campaign mails by (nextAttemptAt, createdAt, id): claimed before any campaign mail. */
  final NavigableSet<MailDue> queuedMails = new TreeSet<>();

  /** QUEUED campaign mails by (nextAttemptAt, createdAt, id). */
  final NavigableSet<MailDue> queuedCampaignMails = new TreeSet<>();

  /** CLAIMED mails by (leaseUntil, createdAt, id); a claim without lease end counts as expired. */
  final NavigableSet<MailDue> claimedMails = new TreeSet<>();

  /**
   * The order in which due mails are claimed: mail someone waits for before campaign mail, then oldest due first,
   * then oldest enqueued, then by id.
   */
  static final Comparator<OutboxMail> DUE_ORDER =
      Comparator.comparing((OutboxMail m) -> m.kind() == MailKind.CAMPAIGN)
          .thenComparing(OutboxMail::nextAttemptAt)
          .thenComparing(OutboxMail::createdAt)
          .thenComparing(OutboxMail::id);

  /** The key of the per-address caps. */
  record RecipientKind(EmailAddress recipient, MailKind kind) {}

  /** An entry of a due-time index. */
  record MailDue(Instant at, Instant createdAt, String id) implements Comparable<MailDue> {
    private static final Comparator<MailDue> ORDER =
        Comparator.comparing(MailDue::at)
            .thenComparing(MailDue::createdAt)
            .thenComparing(MailDue::id);

    @Override
    public int compareTo(MailDue other) {
      return ORDER.compare(this, other);
    }
  }
}
