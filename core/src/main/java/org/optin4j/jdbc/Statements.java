package org.optin4j.jdbc;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;

/**
 * Every SQL statement of the store, built once per (dialect, table prefix). The only dialect differences are upserts,
 * insert-if-absent and how a generated key comes back; the rest is plain SQL that all three dialects share.
 */
final class Statements {
  static final String SUBJECT_COLUMNS = "id, email, created_at, address_generation";
  static final String CONSENT_COLUMNS =
      "subject_id, purpose, purpose_version, state, request_id, notice_version,"
          + " notice_hash, notice_locale, requested_at, confirmed_at, ended_at, restricted";
  static final String EVENT_COLUMNS =
      "subject_id, purpose, event_type, occurred_at, request_id, notice_version,"
          + " notice_hash, notice_locale, source, channel, evidence_ip, evidence_user_agent, token_id, chain_position,"
          + " previous_hash, details_salt, details_digest, chain_hash";
  static final String FEED_COLUMNS =
      "feed_position, subject_id, purpose, event_type, occurred_at, channel";
  static final String NOTICE_COLUMNS =
      "hash, notice_key, version, locale, purposes, body, created_at";
  static final String REQUEST_COLUMNS =
      "id, subject_id, purposes, notice_version, notice_hash, notice_locale, source,"
          + " evidence_ip, evidence_user_agent, requested_at, expires_at, generation, status, closed_at";
  static final String INCIDENT_COLUMNS =
      "id, discovered_at, recorded_at, nature, data_categories,"
          + " subject_categories, purposes, status, authority_notified_at, closed_at, notice_subject, notice_text,"
          + " notice_queued_at";
  static final String RIGHTS_COLUMNS =
      "id, subject_id, request_type, received_at, due_at, extended, completed_at," + " outcome";
  static final String CAMPAIGN_COLUMNS = "id, purpose, subject, body_text, body_html, created_at";
  static final String MAIL_COLUMNS =
      "id, kind, subject_id, recipient, request_id, generation, locale, purposes,"
          + " dedupe_key, status, attempts, next_attempt_at, lease_until, created_at, sent_at, last_error";

  static final String NODE_COLUMNS =
      "node_id, issuer, accepted_issuers, active_key_id, key_fingerprints, started_at, seen_at";

  final Dialect dialect;

  /**
   * Run first in a retention unit on PostgreSQL ({@code null} elsewhere): no JIT compilation for the rest of the
   * transaction. The set-based retention statements probe indexes a page of subjects at a time; their plans' cost
   * estimates pass {@code jit_above_cost} (and, for a generic plan, the inlining and optimisation thresholds), so every
   * page would pay 40 ms (custom plan) to 800 ms (generic plan) of LLVM compilation for 10 to 30 ms of execution.
   */
  final String planWithoutJit;

  final String subjectById;
  final String subjectByEmail;
  final String insertSubject;
  final String updateSubject;

  final String consents;
  final String consentForUpdate;
  final String upsertConsent;

  final String insertEvent;

  /** {@link #insertEvent} without a RETURNING clause: for a JDBC batch that asks for the generated sequences. */
  final String insertEventForBatch;

  final String events;
  final String insertHeadIfAbsent;
  final String headForUpdate;

  /** The heads table's name: a statement that names it sees held-back head writes first. */
  final String headsTable;

  final String insertHead;
  final String head;
  final String updateHead;
  final String deleteHead;
  final String historySubjectsFirst;
  final String historySubjectsAfter;

  final String noticeByHash;
  final String maxNoticeVersion;
  final String insertNotice;

  final String insertRequest;
  final String requestForUpdate;
  final String requestById;
  final String updateRequest;
  final String requestSubject;
  final String openRequests;

  final String insertToken;

  final String insertMail;
  final String mailExistsByDedupeKey;
  final String mailQueuedAt;
  final String countMails;
  final String countMailsNotCampaign;
  final String subjectsPage;
  final String countSubjects;
  final String mailsByStatus;
  final String claimQueued;
  final String claimExpired;
  final String candidatesQueued;
  final String candidatesExpired;
  final String lockQueuedPrefix;
  final String lockExpiredPrefix;
  final String markClaimed;

  /** Followed by {@code ?, ?, ...)}: lease end, held lease end, then the mail ids. */
  final String renewClaimsPrefix;

  /** Followed by {@code ?, ?, ...)}: held lease end, then the mail ids. */
  final String releaseClaimsPrefix;

  final String eraseAddressChanges;
  final String eraseRequests;
  final String eraseConsents;
  final String eraseMails;
  final String deidentifyEvents;
  final String eraseEvents;
  final String eraseSubject;
  final String insertSuppression;
  final String isSuppressed;
  final String subjectByEmailWithSuppression;
  final String consentsWithSuppression;
  final String deleteSuppression;
  final String upsertAddressChange;
  final String addressChange;
  final String requestAndChangeForUpdate;
  final String confirmationView;
  final String saveReplacedAddress;
  final String replacedAddress;
  final String staleAddressChanges;
  final String lapsedRequestsWithEvidence;

  final String openRequestsExpiredBefore;
  final String confirmedBefore;
  final String dormantSubjects;
  final String expirableRequests;
  final String lapsedSignupsFirst;
  final String lapsedSignupsAfter;

  /**
   * PostgreSQL only ({@code null} elsewhere): a page of candidates for the lapsed-signup purge (subjects created before
   * the cut-off whose consent of the first purpose was never confirmed), their history heads locked without waiting
   * in the same statement. Columns: the id, whether it has a head, whether this unit now holds it. Parameters: [after,]
   * the cut-off, the limit.
   */
  final String lapsedCandidatesFirst;

  final String lapsedCandidatesAfter;
  final String deleteUsedTokens;

  /** The feed: entries after a position; the bounded purge; the commit-order position claim (see {@link JdbcFeed}). */
  final String feedAfter;

  final String deleteOldFeed;
  final String claimFeedPositions;

  /** MariaDB only (no UPDATE ... RETURNING): reads the claimed counter back; {@code null} elsewhere. */
  final String lastFeedPosition;

  private final String feedTable;

  /** {@link #insertFeed} of 1 to 7 rows, made once (index 0 unused). */
  private final String[] smallFeedInserts = new String[8];

  final String deleteFinishedMails;
  final String updateMail;
  final String mailsBySubject;

  final String upsertIncident;
  final String insertCampaign;
  final String upsertRightsRequest;
  final String upsertNode;

  /** The webhook tables' statements (see {@link JdbcWebhooks}). */
  final WebhookStatements webhooks;

  /** The report tables' statements (see {@link JdbcReports}). */
  final JdbcReports.Sql reports;

  /** The set-based campaign queueing statements (see {@link JdbcCampaignQueue}). */
  final JdbcCampaignQueue.Sql campaignQueue;

  /** The send rate tables' statements (see {@link JdbcSendRates}). */
  final JdbcSendRates.Sql sendRates;

  /** Reads of several keys at once (see {@link JdbcBatchReads}). */
  final JdbcBatchReads batchReads;

  final String allNodes;
  final String deleteNode;
  final String rightsRequestById;
  final String openRightsRequests;
  final String campaignById;
  final String countMailsByStatus;
  final String incidentById;
  final String incidents;
  final String allSubjectsFirst;
  final String allSubjectsAfter;

  /** Subjects with a consent for some purposes; completed by {@link #subjectsWithConsents}. */
  private final String consentsTableName;

  private final String lapsedCondition;
  private final String subjectsTable;
  private final String requestsTable;
  private final String eventsTableName;
  private final String outboxTable;
  private final String addressChangesTable;

  /** As many {@code NULL}s as there are columns. */
  static String nulls(String columns) {
    return String.join(", ", java.util.Collections.nCopies(columns.split(",").length, "NULL"));
  }

  /** Qualifies each of the columns with the table alias and, if {@code label} is not empty, labels it so. */
  static String qualified(String alias, String label, String columns) {
    return java.util.Arrays.stream(columns.split(","))
        .map(String::strip)
        .map(col -> alias + col + (label.isEmpty() ? "" : " AS " + label + col))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  Statements(Dialect dialect, String prefix) {
    this.dialect = dialect;
    this.planWithoutJit = dialect == Dialect.POSTGRESQL ? "SET LOCAL jit = off" : null;
    String subjects = prefix + "subjects";
    String consentsTable = prefix + "consents";
    String eventsTable = prefix + "events";
    String notices = prefix + "notices";
    String requests = prefix + "requests";
    String tokens = prefix + "used_tokens";
    String outbox = prefix + "outbox";

    subjectById = "SELECT " + SUBJECT_COLUMNS + " FROM " + subjects + " WHERE id = ?";
    subjectByEmail = "SELECT " + SUBJECT_COLUMNS + " FROM " + subjects + " WHERE email = ?";
    insertSubject = insert(subjects, SUBJECT_COLUMNS);
    updateSubject = "UPDATE " + subjects + " SET email = ?, address_generation = ? WHERE id = ?";

    consents = "SELECT " + CONSENT_COLUMNS + " FROM " + consentsTable + " WHERE subject_id = ?";
    consentForUpdate =
        "SELECT "
            + CONSENT_COLUMNS
            + " FROM "
            + consentsTable
            + " WHERE subject_id = ? AND purpose = ? FOR UPDATE";
    upsertConsent = upsert(consentsTable, CONSENT_COLUMNS, "subject_id, purpose");

    insertEventForBatch = insert(eventsTable, EVENT_COLUMNS);
    insertEvent =
        insert(eventsTable, EVENT_COLUMNS)
            + (dialect == Dialect.POSTGRESQL ? " RETURNING seq" : "");
    events =
        "SELECT seq, "
            + EVENT_COLUMNS
            + " FROM "
            + eventsTable
            + " WHERE subject_id = ? ORDER BY seq";
    String heads = prefix + "history_heads";
    headsTable = heads;
    insertHead = insert(heads, "subject_id, chain_position, head_hash");
    // PostgreSQL: a clash takes no lock. MariaDB: a no-op update takes the row's exclusive lock at
    // once; a failed plain
    // insert would take a shared one, and two units upgrading theirs would deadlock. H2: the clash
    // fails the
    // statement only.
    insertHeadIfAbsent =
        insert(heads, "subject_id, chain_position, head_hash")
            + (dialect == Dialect.POSTGRESQL
                ? " ON CONFLICT (subject_id) DO NOTHING"
                : dialect == Dialect.MARIADB
                    ? " ON DUPLICATE KEY UPDATE subject_id = subject_id"
                    : "");
    // PostgreSQL: FOR NO KEY UPDATE does not conflict with the key-share locks of foreign key
    // checks.
    headForUpdate =
        "SELECT chain_position, head_hash FROM "
            + heads
            + " WHERE subject_id = ?"
            + (dialect == Dialect.POSTGRESQL ? " FOR NO KEY UPDATE" : " FOR UPDATE");
    head = "SELECT chain_position, head_hash FROM " + heads + " WHERE subject_id = ?";
    updateHead = "UPDATE " + heads + " SET chain_position = ?, head_hash = ? WHERE subject_id = ?";
    deleteHead = "DELETE FROM " + heads + " WHERE subject_id = ?";
    historySubjectsFirst =
        "SELECT subject_id FROM " + heads + " WHERE chain_position > 0 ORDER BY subject_id LIMIT ?";
    historySubjectsAfter =
        "SELECT subject_id FROM "
            + heads
            + " WHERE chain_position > 0 AND subject_id > ? ORDER BY subject_id LIMIT ?";

    noticeByHash = "SELECT " + NOTICE_COLUMNS + " FROM " + notices + " WHERE hash = ?";
    maxNoticeVersion = "SELECT MAX(version) FROM " + notices + " WHERE notice_key = ?";
    // MariaDB: a clash takes the row's exclusive lock at once instead of the shared lock of a
    // failed plain insert,
    // which units inserting the same notice at once would all try to upgrade (as for history
    // heads). That makes the
    // deadlock rarer, not impossible (the table has two unique keys): the service runs a unit that
    // lost one again.
    insertNotice =
        insert(notices, NOTICE_COLUMNS)
            + (dialect == Dialect.MARIADB ? " ON DUPLICATE KEY UPDATE hash = hash" : "");

    insertRequest = insert(requests, REQUEST_COLUMNS);
    requestForUpdate =
        "SELECT " + REQUEST_COLUMNS + " FROM " + requests + " WHERE id = ? FOR UPDATE";
    requestById = "SELECT " + REQUEST_COLUMNS + " FROM " + requests + " WHERE id = ?";
    updateRequest =
        "UPDATE "
            + requests
            + " SET "
            + assignments(REQUEST_COLUMNS, "id", "subject_id")
            + " WHERE id = ? AND subject_id = ?";
    requestSubject = "SELECT subject_id FROM " + requests + " WHERE id = ?";
    openRequests =
        "SELECT "
            + REQUEST_COLUMNS
            + " FROM "
            + requests
            + " WHERE subject_id = ? AND status = 'OPEN'";

    insertToken =
        insert(tokens, "token_id, expires_at")
            + (dialect == Dialect.POSTGRESQL ? " ON CONFLICT (token_id) DO NOTHING" : "");

    insertMail =
        insert(outbox, MAIL_COLUMNS + ", priority")
            + (dialect == Dialect.POSTGRESQL ? " ON CONFLICT (dedupe_key) DO NOTHING" : "");
    mailExistsByDedupeKey = "SELECT 1 FROM " + outbox + " WHERE dedupe_key = ?";
    mailQueuedAt = "SELECT created_at FROM " + outbox + " WHERE dedupe_key = ?";
    countMails =
        "SELECT COUNT(*) FROM " + outbox + " WHERE recipient = ? AND kind = ? AND created_at >= ?";
    // The literal lets PostgreSQL use the index of these counts, which is partial (V10): campaign
    // rows are not in it.
    countMailsNotCampaign = countMails + " AND kind <> 'CAMPAIGN'";
    subjectsPage =
        "SELECT "
            + SUBJECT_COLUMNS
            + " FROM "
            + subjects
            + " ORDER BY created_at DESC, id LIMIT ? OFFSET ?";
    countSubjects = "SELECT COUNT(*) FROM " + subjects;
    mailsByStatus = "SELECT status, COUNT(*) FROM " + outbox + " GROUP BY status";
    // Two branches, each scanned in the order of the index (status, next_attempt_at) so that the
    // scan, and the row
    // locks it takes, stop at LIMIT. One query with an OR would sort first, and H2 and MariaDB
    // would then lock every
    // due row, leaving nothing for a concurrent dispatcher to claim. H2 sees that the index gives
    // the order only for
    // "ORDER BY status, next_attempt_at" (status is constant); MariaDB only for "ORDER BY
    // next_attempt_at" (ordering
    // by the utf8mb4_bin column under the connection's other collation makes it sort).
    // Each branch is run once per priority (0: mail someone waits for, 1: campaign mail; the
    // priority column and the index leading with (status, priority) are V10's), the first
    // priority first, so that a confirmation queued behind a campaign is claimed in the next
    // batch; within a priority the index gives the due order.
    String claimOrder =
        dialect == Dialect.H2 ? "status, priority, next_attempt_at" : "next_attempt_at";
    claimQueued =
        "SELECT seq, "
            + MAIL_COLUMNS
            + " FROM "
            + outbox
            + " WHERE status = 'QUEUED' AND priority = ? AND next_attempt_at <= ?"
            + " ORDER BY "
            + claimOrder
            + " LIMIT ? FOR UPDATE SKIP LOCKED";
    claimExpired =
        "SELECT seq, "
            + MAIL_COLUMNS
            + " FROM "
            + outbox
            + " WHERE status = 'CLAIMED' AND priority = ?"
            + " AND (lease_until <= ? OR lease_until IS NULL)"
            + " ORDER BY "
            + claimOrder
            + " LIMIT ? FOR UPDATE SKIP LOCKED";
    // H2 does not scan in index order under FOR UPDATE (it locks every matching row, then sorts),
    // so on H2 the store
    // reads candidates without locks, in index order and in keyset pages, and locks only a page's
    // rows by key.
    String queuedDue = "status = 'QUEUED' AND next_attempt_at <= ?";
    String leaseOver = "status = 'CLAIMED' AND (lease_until <= ? OR lease_until IS NULL)";
    String after =
        " AND (next_attempt_at > ? OR (next_attempt_at = ? AND seq > ?))"
            + " ORDER BY status, priority, next_attempt_at, seq LIMIT ?";
    candidatesQueued =
        "SELECT seq, next_attempt_at FROM "
            + outbox
            + " WHERE priority = ? AND "
            + queuedDue
            + after;
    candidatesExpired =
        "SELECT seq, next_attempt_at FROM "
            + outbox
            + " WHERE priority = ? AND "
            + leaseOver
            + after;
    lockQueuedPrefix =
        "SELECT seq, " + MAIL_COLUMNS + " FROM " + outbox + " WHERE " + queuedDue + " AND seq IN (";
    lockExpiredPrefix =
        "SELECT seq, " + MAIL_COLUMNS + " FROM " + outbox + " WHERE " + leaseOver + " AND seq IN (";
    String addressChanges = prefix + "address_changes";
    String suppressions = prefix + "suppressions";
    eraseAddressChanges =
        "DELETE FROM "
            + addressChanges
            + " WHERE request_id IN (SELECT id FROM "
            + requests
            + " WHERE subject_id = ?)";
    eraseRequests = "DELETE FROM " + requests + " WHERE subject_id = ?";
    eraseConsents = "DELETE FROM " + consentsTable + " WHERE subject_id = ?";
    eraseMails = "DELETE FROM " + outbox + " WHERE subject_id = ?";
    deidentifyEvents =
        "UPDATE "
            + eventsTable
            + " SET source = NULL, evidence_ip = NULL, evidence_user_agent = NULL,"
            + " token_id = NULL, details_salt = NULL WHERE subject_id = ?";
    eraseEvents = "DELETE FROM " + eventsTable + " WHERE subject_id = ?";
    eraseSubject = "DELETE FROM " + subjects + " WHERE id = ?";
    insertSuppression =
        insert(suppressions, "address_key, suppressed_at")
            + (dialect == Dialect.POSTGRESQL ? " ON CONFLICT (address_key) DO NOTHING" : "");
    isSuppressed = "SELECT 1 FROM " + suppressions + " WHERE address_key = ?";
    // The suppression list's answer is a second branch of nulls: a row whose key column is null.
    subjectByEmailWithSuppression =
        subjectByEmail
            + " UNION ALL SELECT "
            + nulls(SUBJECT_COLUMNS)
            + " FROM "
            + suppressions
            + " WHERE address_key = ?";
    consentsWithSuppression =
        consents
            + " UNION ALL SELECT "
            + nulls(CONSENT_COLUMNS)
            + " FROM "
            + suppressions
            + " WHERE address_key = ?";
    deleteSuppression = "DELETE FROM " + suppressions + " WHERE address_key = ?";
    upsertAddressChange = upsert(addressChanges, "request_id, email", "request_id");
    addressChange = "SELECT email FROM " + addressChanges + " WHERE request_id = ?";
    // The address change in a scalar subquery, not an outer join: FOR UPDATE then locks the
    // request row only, on every dialect, as requestForUpdate does.
    requestAndChangeForUpdate =
        "SELECT "
            + REQUEST_COLUMNS
            + ", (SELECT a.email FROM "
            + addressChanges
            + " a WHERE a.request_id = r.id) AS change_email FROM "
            + requests
            + " r WHERE r.id = ? FOR UPDATE";
    // One row per consent of the request's subject (one row with null consent columns if it has
    // none); the request and its address change repeat on each.
    confirmationView =
        "SELECT "
            + qualified("r.", "", REQUEST_COLUMNS)
            + ", a.email AS change_email, "
            + qualified("c.", "c_", CONSENT_COLUMNS)
            + " FROM "
            + requests
            + " r LEFT JOIN "
            + addressChanges
            + " a ON a.request_id = r.id LEFT JOIN "
            + consentsTable
            + " c ON c.subject_id = r.subject_id WHERE r.id = ?";
    saveReplacedAddress =
        "UPDATE " + addressChanges + " SET previous_email = ? WHERE request_id = ?";
    replacedAddress =
        "SELECT previous_email FROM "
            + addressChanges
            + " WHERE request_id = ?"
            + " AND previous_email IS NOT NULL";
    staleAddressChanges =
        "SELECT a.request_id, r.status FROM "
            + addressChanges
            + " a JOIN "
            + requests
            + " r ON r.id = a.request_id WHERE (r.status <> 'CONFIRMED' AND r.expires_at < ?)"
            + " OR (r.status = 'CONFIRMED' AND r.closed_at < ?) ORDER BY a.request_id LIMIT ?";
    lapsedRequestsWithEvidence =
        "SELECT id FROM "
            + requests
            + " WHERE status <> 'CONFIRMED' AND expires_at < ?"
            + " AND (evidence_ip IS NOT NULL OR evidence_user_agent IS NOT NULL) ORDER BY id LIMIT ?";

    openRequestsExpiredBefore =
        "SELECT "
            + REQUEST_COLUMNS
            + " FROM "
            + requests
            + " WHERE status = 'OPEN' AND expires_at < ? ORDER BY expires_at, id LIMIT ?";
    confirmedBefore =
        "SELECT "
            + CONSENT_COLUMNS
            + " FROM "
            + consentsTable
            + " WHERE purpose = ? AND state = 'CONFIRMED' AND confirmed_at < ? ORDER BY confirmed_at, subject_id LIMIT ?";
    dormantSubjects =
        "SELECT s.id FROM "
            + subjects
            + " s LEFT JOIN "
            + consentsTable
            + " c ON c.subject_id = s.id"
            + " GROUP BY s.id, s.created_at"
            + " HAVING SUM(CASE WHEN c.state IN ('PENDING', 'CONFIRMED') THEN 1 ELSE 0 END) = 0"
            + " AND COALESCE(MAX(c.ended_at), s.created_at) < ?"
            + " ORDER BY COALESCE(MAX(c.ended_at), s.created_at), s.id LIMIT ?";
    // Set-based retention (Purger): a batch of expired requests, and lapsed signups deleted in
    // bulk.
    expirableRequests =
        "SELECT "
            + REQUEST_COLUMNS
            + " FROM "
            + requests
            + " WHERE status = 'OPEN' AND expires_at < ? AND (source IS NULL OR source <> ?)"
            + " ORDER BY expires_at, id LIMIT ?";
    // A lapsed signup (see RetentionStore#lapsedSignups); parameters: the cut-off four times.
    // PostgreSQL:
    // "OFFSET 0" keeps each [NOT] EXISTS a probe per subject of the page. As semi- and anti-joins,
    // the planner merges
    // the page of subjects with whole indexes: read from their start (past every deleted, not yet
    // vacuumed entry) or,
    // when no open request is still within the grace, to their end.
    String probe = dialect == Dialect.POSTGRESQL ? " OFFSET 0" : "";
    String noLiveConsentOrRequest =
        " AND NOT EXISTS (SELECT 1 FROM "
            + consentsTable
            + " c WHERE c.subject_id = s.id AND ("
            + "c.confirmed_at IS NOT NULL OR c.state NOT IN ('PENDING', 'WITHDRAWN', 'EXPIRED')"
            + " OR (c.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM "
            + requests
            + " q WHERE q.id = c.request_id"
            + " AND q.subject_id = s.id AND q.status = 'OPEN' AND q.expires_at < ?))"
            + " OR (c.state <> 'PENDING' AND (c.ended_at IS NULL OR c.ended_at >= ?)))"
            + probe
            + ")"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + requests
            + " r WHERE r.subject_id = s.id AND r.status = 'OPEN'"
            + " AND r.expires_at >= ?"
            + probe
            + ")";
    lapsedCondition =
        "s.created_at < ?"
            + " AND EXISTS (SELECT 1 FROM "
            + consentsTable
            + " c WHERE c.subject_id = s.id"
            + probe
            + ")"
            + noLiveConsentOrRequest;
    // The listing walks the consents never confirmed (V7's index, in subject id order), not every
    // subject: a lapsed signup has one, and a list of confirmed subscribers has few. Each subject
    // once: its consent of the first purpose, which for a lapsed signup is one never confirmed.
    // Parameters: [after,] the cut-off four times, the limit.
    String unconfirmed =
        "SELECT s.id FROM "
            + consentsTable
            + " u JOIN "
            + subjects
            + " s ON s.id = u.subject_id WHERE u.confirmed_at IS NULL"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + consentsTable
            + " f WHERE f.subject_id = u.subject_id AND f.purpose < u.purpose"
            + probe
            + ")";
    String lapsedAmongThem =
        " AND s.created_at < ?" + noLiveConsentOrRequest + " ORDER BY u.subject_id LIMIT ?";
    lapsedSignupsFirst = unconfirmed + lapsedAmongThem;
    lapsedSignupsAfter = unconfirmed + " AND u.subject_id > ?" + lapsedAmongThem;
    if (dialect == Dialect.POSTGRESQL) {
      // One pass (issue 17): the full lapsed condition is evaluated once, by lockLapsedSkipLocked,
      // in a later statement (a fresh snapshot) with these heads held, as deleteLapsedSignups does
      // after its listing; here only what picks the candidates, in the listing's order. The heads'
      // ids are in the "C" collation.
      // The subject's age is a probe too: as a join, the planner merged the page with the subjects'
      // index read from its start (400 ms at the middle of a million).
      String candidates =
          "WITH cand AS MATERIALIZED (SELECT u.subject_id AS id FROM "
              + consentsTable
              + " u WHERE u.confirmed_at IS NULL%s"
              + " AND NOT EXISTS (SELECT 1 FROM "
              + consentsTable
              + " f WHERE f.subject_id = u.subject_id AND f.purpose < u.purpose OFFSET 0)"
              + " AND EXISTS (SELECT 1 FROM "
              + subjects
              + " s WHERE s.id = u.subject_id AND s.created_at < ? OFFSET 0)"
              + " ORDER BY u.subject_id LIMIT ?),"
              + " locked AS (SELECT h.subject_id FROM "
              + heads
              + " h WHERE h.subject_id IN (SELECT id COLLATE \"C\" FROM cand)"
              + " ORDER BY h.subject_id FOR NO KEY UPDATE SKIP LOCKED)"
              + " SELECT c.id, h.subject_id IS NOT NULL, k.subject_id IS NOT NULL FROM cand c"
              + " LEFT JOIN "
              + heads
              + " h ON h.subject_id = c.id COLLATE \"C\""
              + " LEFT JOIN locked k ON k.subject_id = c.id COLLATE \"C\" ORDER BY c.id";
      lapsedCandidatesFirst = String.format(candidates, "");
      lapsedCandidatesAfter = String.format(candidates, " AND u.subject_id > ?");
    } else {
      lapsedCandidatesFirst = null;
      lapsedCandidatesAfter = null;
    }
    subjectsTable = subjects;
    requestsTable = requests;
    eventsTableName = eventsTable;
    outboxTable = outbox;
    addressChangesTable = addressChanges;
    // Bounded deletes: MariaDB has DELETE ... LIMIT but no LIMIT in an IN subquery; the others the
    // reverse.
    String finished = "status IN ('SENT', 'FAILED', 'SKIPPED') AND created_at < ?";
    String skipLocked = dialect == Dialect.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "";
    if (dialect == Dialect.MARIADB) {
      deleteUsedTokens =
          "DELETE FROM " + tokens + " WHERE expires_at < ? ORDER BY expires_at LIMIT ?";
      deleteFinishedMails =
          "DELETE FROM " + outbox + " WHERE " + finished + " ORDER BY created_at LIMIT ?";
    } else {
      deleteUsedTokens =
          "DELETE FROM "
              + tokens
              + " WHERE token_id IN (SELECT token_id FROM "
              + tokens
              + " WHERE expires_at < ? ORDER BY expires_at LIMIT ?"
              + skipLocked
              + ")";
      deleteFinishedMails =
          "DELETE FROM "
              + outbox
              + " WHERE seq IN (SELECT seq FROM "
              + outbox
              + " WHERE "
              + finished
              + " ORDER BY created_at LIMIT ?"
              + skipLocked
              + ")";
    }
    markClaimed = "UPDATE " + outbox + " SET status = 'CLAIMED', lease_until = ? WHERE seq = ?";
    renewClaimsPrefix =
        "UPDATE "
            + outbox
            + " SET lease_until = ? WHERE status = 'CLAIMED' AND lease_until = ?"
            + " AND id IN (";
    releaseClaimsPrefix =
        "UPDATE "
            + outbox
            + " SET status = 'QUEUED', lease_until = NULL"
            + " WHERE status = 'CLAIMED' AND lease_until = ? AND id IN (";
    updateMail =
        "UPDATE "
            + outbox
            + " SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = ?,"
            + " sent_at = ?, last_error = ? WHERE id = ?";
    mailsBySubject = "SELECT seq, " + MAIL_COLUMNS + " FROM " + outbox + " WHERE subject_id = ?";

    String incidentsTable = prefix + "incidents";
    upsertIncident = upsert(incidentsTable, INCIDENT_COLUMNS, "id");
    incidentById = "SELECT " + INCIDENT_COLUMNS + " FROM " + incidentsTable + " WHERE id = ?";
    incidents = "SELECT " + INCIDENT_COLUMNS + " FROM " + incidentsTable;
    allSubjectsFirst = "SELECT id FROM " + subjects + " ORDER BY id LIMIT ?";
    allSubjectsAfter = "SELECT id FROM " + subjects + " WHERE id > ? ORDER BY id LIMIT ?";
    consentsTableName = consentsTable;
    String campaigns = prefix + "campaigns";
    insertCampaign = insert(campaigns, CAMPAIGN_COLUMNS);
    campaignById = "SELECT " + CAMPAIGN_COLUMNS + " FROM " + campaigns + " WHERE id = ?";
    countMailsByStatus =
        "SELECT status, COUNT(*) FROM " + outbox + " WHERE request_id = ? GROUP BY status";
    String rights = prefix + "rights_requests";
    upsertRightsRequest = upsert(rights, RIGHTS_COLUMNS, "id");
    rightsRequestById = "SELECT " + RIGHTS_COLUMNS + " FROM " + rights + " WHERE id = ?";
    openRightsRequests =
        "SELECT " + RIGHTS_COLUMNS + " FROM " + rights + " WHERE completed_at IS NULL";
    feedTable = prefix + "feed";
    for (int i = 1; i < smallFeedInserts.length; i++) {
      smallFeedInserts[i] = insertRows(feedTable, FEED_COLUMNS, i);
    }
    String feedCounter = prefix + "feed_counter";
    feedAfter =
        "SELECT "
            + FEED_COLUMNS
            + " FROM "
            + feedTable
            + " WHERE feed_position > ? ORDER BY feed_position LIMIT ?";
    deleteOldFeed =
        dialect == Dialect.MARIADB
            ? "DELETE FROM " + feedTable + " WHERE occurred_at < ? ORDER BY feed_position LIMIT ?"
            : "DELETE FROM "
                + feedTable
                + " WHERE feed_position IN (SELECT feed_position FROM "
                + feedTable
                + " WHERE occurred_at < ? ORDER BY feed_position LIMIT ?)";
    String claim = "UPDATE " + feedCounter + " SET last_position = last_position + ? WHERE id = 1";
    claimFeedPositions =
        switch (dialect) {
          case POSTGRESQL -> claim + " RETURNING last_position";
          case H2 -> "SELECT last_position FROM FINAL TABLE (" + claim + ")";
          case MARIADB -> claim;
        };
    lastFeedPosition =
        dialect == Dialect.MARIADB
            ? "SELECT last_position FROM " + feedCounter + " WHERE id = 1"
            : null;
    String nodes = prefix + "nodes";
    upsertNode = upsert(nodes, NODE_COLUMNS, "node_id");
    allNodes = "SELECT " + NODE_COLUMNS + " FROM " + nodes + " ORDER BY node_id";
    deleteNode = "DELETE FROM " + nodes + " WHERE node_id = ?";
    webhooks = new WebhookStatements(this, prefix);
    reports = new JdbcReports.Sql(prefix);
    campaignQueue = new JdbcCampaignQueue.Sql(dialect, prefix);
    sendRates = new JdbcSendRates.Sql(prefix, dialect);
    batchReads = new JdbcBatchReads(prefix);
  }

  /**
   * Returns the query for subjects with a consent for one of {@code purposes} purposes in one of {@code states}
   * states (any state if 0), after a subject id if {@code after}; parameters: the purposes, the states, the id if
   * {@code after}, the limit.
   */
  String subjectsWithConsents(int purposes, int states, boolean after) {
    return "SELECT DISTINCT subject_id FROM "
        + consentsTableName
        + " WHERE purpose IN ("
        + String.join(", ", java.util.Collections.nCopies(purposes, "?"))
        + ")"
        + (states == 0
            ? ""
            : " AND state IN ("
                + String.join(", ", java.util.Collections.nCopies(states, "?"))
                + ")")
        + (after ? " AND subject_id > ?" : "")
        + " ORDER BY subject_id LIMIT ?";
  }

  /** Locks those of {@code n} history heads no other unit holds, in subject id order; parameters: the ids. */
  String lockHeadsSkipLocked(int n) {
    return "SELECT subject_id, chain_position, head_hash FROM "
        + headsTable
        + " WHERE subject_id IN "
        + in(n)
        + " ORDER BY subject_id"
        + (dialect == Dialect.POSTGRESQL ? " FOR NO KEY UPDATE" : " FOR UPDATE")
        + " SKIP LOCKED";
  }

  /** Which of {@code n} subjects have a history head; parameters: the ids. */
  String headsAmong(int n) {
    return "SELECT subject_id FROM " + headsTable + " WHERE subject_id IN " + in(n);
  }

  /**
   * Locks those of {@code n} subject rows that are lapsed signups and that no other unit holds, in id order;
   * parameters: the cut-off four times, then the ids.
   */
  String lockLapsedSkipLocked(int n) {
    return "SELECT s.id FROM "
        + subjectsTable
        + " s WHERE "
        + lapsedCondition
        + " AND s.id IN "
        + in(n)
        + " ORDER BY s.id FOR UPDATE SKIP LOCKED";
  }

  /** Locks those of {@code n} requests still open and expired that no other unit holds; parameters: cut-off, ids. */
  String lockExpirableRequests(int n) {
    return "SELECT "
        + REQUEST_COLUMNS
        + " FROM "
        + requestsTable
        + " WHERE status = 'OPEN' AND expires_at < ?"
        + " AND id IN "
        + in(n)
        + " ORDER BY id FOR UPDATE SKIP LOCKED";
  }

  /** Deletes the address changes of {@code n} requests; parameters: the request ids. */
  String deleteAddressChanges(int n) {
    return "DELETE FROM " + addressChangesTable + " WHERE request_id IN " + in(n);
  }

  /** Deletes those of {@code n} requests that were never confirmed; parameters: the ids. */
  String deleteUnconfirmedRequests(int n) {
    return "DELETE FROM " + requestsTable + " WHERE status <> 'CONFIRMED' AND id IN " + in(n);
  }

  /** Clears the evidence of those of {@code n} requests never confirmed; parameters: the ids. */
  String clearRequestEvidence(int n) {
    return "UPDATE "
        + requestsTable
        + " SET evidence_ip = NULL, evidence_user_agent = NULL"
        + " WHERE status <> 'CONFIRMED' AND id IN "
        + in(n);
  }

  /** Locks the pending consents of {@code n} subjects; parameters: the ids. */
  String lockPendingConsents(int n) {
    return "SELECT "
        + CONSENT_COLUMNS
        + " FROM "
        + consentsTableName
        + " WHERE state = 'PENDING' AND subject_id IN "
        + in(n)
        + " ORDER BY subject_id, purpose FOR UPDATE";
  }

  /**
   * Expires the consents still pending for {@code requests} requests of {@code subjects} subjects; parameters: the end
   * time, the restricted flag, the subject ids, the request ids.
   */
  String expirePendingConsents(int subjects, int requests) {
    return "UPDATE "
        + consentsTableName
        + " SET state = 'EXPIRED', ended_at = ?, restricted = ?"
        + " WHERE state = 'PENDING' AND subject_id IN "
        + in(subjects)
        + " AND request_id IN "
        + in(requests);
  }

  /** Expires {@code n} open requests; parameters: the close time, the request ids. */
  String expireRequests(int n) {
    return "UPDATE "
        + requestsTable
        + " SET status = 'EXPIRED', closed_at = ? WHERE status = 'OPEN' AND id IN "
        + in(n);
  }

  /** Inserts {@code n} feed entries in one statement; parameters: each entry's {@link #FEED_COLUMNS}. */
  String insertFeed(int n) {
    // A unit writes one entry per event, usually 1 to 4: the statement text is kept for those
    // instead of being built per commit (seen in the confirm path's profile, issue 17).
    return n < smallFeedInserts.length
        ? smallFeedInserts[n]
        : insertRows(feedTable, FEED_COLUMNS, n);
  }

  /** Inserts {@code n} events in one statement; parameters: each event's {@link #EVENT_COLUMNS}. */
  String insertEvents(int n) {
    return insertRows(eventsTableName, EVENT_COLUMNS, n);
  }

  /** Inserts {@code n} rows of {@code columns} into {@code table} in one statement. */
  private static String insertRows(String table, String columns, int n) {
    String row = "(" + placeholders(columns) + ")";
    return "INSERT INTO "
        + table
        + " ("
        + columns
        + ") VALUES "
        + String.join(", ", java.util.Collections.nCopies(n, row));
  }

  /** Moves {@code n} history heads in one statement; parameters: subject id, position, hash of each. */
  String moveHeads(int n) {
    String columns = "subject_id, chain_position, head_hash";
    String rows =
        String.join(", ", java.util.Collections.nCopies(n, "(" + placeholders(columns) + ")"));
    switch (dialect) {
      case POSTGRESQL:
        return "UPDATE "
            + headsTable
            + " AS h SET chain_position = v.p, head_hash = v.h FROM (VALUES "
            + rows
            + ") AS v (s, p, h) WHERE h.subject_id = v.s";
      case MARIADB:
        return "INSERT INTO "
            + headsTable
            + " ("
            + columns
            + ") VALUES "
            + rows
            + " ON DUPLICATE KEY UPDATE chain_position = VALUES(chain_position), head_hash = VALUES(head_hash)";
      case H2:
        return "MERGE INTO " + headsTable + " (" + columns + ") KEY (subject_id) VALUES " + rows;
      default:
        throw new AssertionError(dialect);
    }
  }

  /**
   * The deletes of {@code eraseSubject(id, false)} for {@code n} subjects at once, in its order (the subject row last);
   * parameters of each: the ids.
   */
  List<String> eraseSubjects(int n) {
    String ids = in(n);
    return List.of(
        "DELETE FROM "
            + addressChangesTable
            + " WHERE request_id IN (SELECT id FROM "
            + requestsTable
            + " WHERE subject_id IN "
            + ids
            + ")",
        "DELETE FROM " + requestsTable + " WHERE subject_id IN " + ids,
        "DELETE FROM " + consentsTableName + " WHERE subject_id IN " + ids,
        "DELETE FROM " + outboxTable + " WHERE subject_id IN " + ids,
        "DELETE FROM " + eventsTableName + " WHERE subject_id IN " + ids,
        "DELETE FROM " + headsTable + " WHERE subject_id IN " + ids,
        "DELETE FROM " + subjectsTable + " WHERE id IN " + ids);
  }

  private static String in(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("an IN list needs at least one element");
    }
    return "(" + String.join(", ", java.util.Collections.nCopies(n, "?")) + ")";
  }

  static String insert(String table, String columns) {
    return "INSERT INTO " + table + " (" + columns + ") VALUES (" + placeholders(columns) + ")";
  }

  String upsert(String table, String columns, String key) {
    String[] keys = key.split(", ");
    String[] others =
        Arrays.stream(columns.split(", "))
            .filter(c -> !Arrays.asList(keys).contains(c))
            .toArray(String[]::new);
    switch (dialect) {
      case POSTGRESQL:
        return insert(table, columns)
            + " ON CONFLICT ("
            + key
            + ") DO UPDATE SET "
            + Arrays.stream(others)
                .map(c -> c + " = EXCLUDED." + c)
                .collect(Collectors.joining(", "));
      case MARIADB:
        return insert(table, columns)
            + " ON DUPLICATE KEY UPDATE "
            + Arrays.stream(others)
                .map(c -> c + " = VALUES(" + c + ")")
                .collect(Collectors.joining(", "));
      case H2:
        return "MERGE INTO "
            + table
            + " ("
            + columns
            + ") KEY ("
            + key
            + ") VALUES ("
            + placeholders(columns)
            + ")";
      default:
        throw new AssertionError(dialect);
    }
  }

  private static String assignments(String columns, String... except) {
    return Arrays.stream(columns.split(", "))
        .filter(c -> !Arrays.asList(except).contains(c))
        .map(c -> c + " = ?")
        .collect(Collectors.joining(", "));
  }

  private static String placeholders(String columns) {
    return Arrays.stream(columns.split(", ")).map(c -> "?").collect(Collectors.joining(", "));
  }
}
