package org.optin4j.memory;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.breach.Incident;
import org.optin4j.campaign.Campaign;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * A {@link ConsentStore} that keeps everything in the heap of one JVM: for tests and single-node demos. Nothing
 * survives a restart, and several nodes cannot share it (security rule 26 needs a database: use the JDBC store).
 *
 * <p><b>Transactions.</b> Transactions are serialised by one lock: while one runs, {@link #inTransaction} in any other
 * thread waits. Writes are applied at once and recorded in an undo log; if the unit of work throws anything (an
 * unchecked exception, an error, or a checked exception thrown sneakily), the log is replayed backwards, so none of the
 * unit's writes stays, and the very same throwable propagates. Because no other transaction can run meanwhile, no one
 * ever sees a partial unit. Event sequence numbers are not given back on rollback, like database sequences: they are
 * strictly increasing, not gap-free.
 *
 * <p>Calling {@code inTransaction} again from inside a unit of work, on the same thread, throws {@link
 * IllegalStateException}: nested units are not joined, because a join would let the inner caller believe its writes
 * were committed when the outer unit may still roll them back. Pass the {@link ConsentStore.Transaction} down instead.
 * A {@code Transaction} may only be used by the thread that runs the unit, and only while it runs; otherwise its
 * methods throw {@code IllegalStateException}.
 *
 * <p><b>Constraints</b>, as a database schema would enforce them:
 *
 * <ul>
 *   <li>subject id and subject address are unique ({@link DuplicateKeyException}); so are request ids, mail ids and
 *       mail dedupe keys ({@link ConsentStore.Transaction#enqueue} answers {@code false} for a taken dedupe key, and
 *       throws {@code DuplicateKeyException} for a taken mail id);
 *   <li>consents, events, requests and mails must belong to a stored subject ({@link StoreException} otherwise);
 *   <li>after a {@code DuplicateKeyException} the transaction is doomed, as on PostgreSQL: further calls throw {@link
 *       StoreException}, and if the unit swallows the exception and returns normally, everything is rolled back and
 *       {@code inTransaction} throws {@code StoreException} with the duplicate as its cause;
 *   <li>{@code updateSubject}, {@code updateRequest} and {@code updateMail} of an unknown id throw {@code
 *       StoreException}; {@code updateSubject} changes only the address and {@code updateMail} only the dispatch state
 *       (status, attempts, next attempt, lease, sent time, last error), keeping the other components as stored; a
 *       request cannot move to another subject ({@link IllegalArgumentException}).
 * </ul>
 *
 * <p><b>Cost.</b> Lookups are by hash index (subject by id and by address, request by id, mail by id and dedupe key,
 * notice by hash, token by id) or per subject; due mails are found through indexes ordered by due time and lease end.
 * Used token ids are kept until the retention job deletes those whose tokens have expired ({@code deleteUsedTokens}).
 *
 * <p>This class is thread-safe. All stored and returned values are immutable records; returned lists are unmodifiable
 * snapshots.
 */
public final class InMemoryConsentStore implements ConsentStore {

  private final ReentrantLock lock = new ReentrantLock();

  // Everything below is guarded by lock.
  private final Map<SubjectId, Subject> subjects = new HashMap<>();
  private final Map<EmailAddress, SubjectId> subjectIdsByEmail = new HashMap<>();
  private final Map<SubjectId, NavigableMap<PurposeId, Consent>> consentsBySubject = new HashMap<>();
  private final Map<SubjectId, List<ConsentEvent>> eventsBySubject = new HashMap<>();
  private final NavigableMap<String, HistoryHead> historyHeads = new TreeMap<>();
  private final java.security.SecureRandom saltSource = new java.security.SecureRandom();
  private long lastSequence;
  private final Map<String, Notice> noticesByHash = new HashMap<>();
  private final Map<String, Integer> latestNoticeVersionByKey = new HashMap<>();
  private final Map<String, PendingRequest> requests = new HashMap<>();
  private final Map<SubjectId, Set<String>> requestIdsBySubject = new HashMap<>();
  private final Map<String, Instant> usedTokens = new HashMap<>();
  private final Map<String, OutboxMail> mails = new HashMap<>();
  private final Map<String, String> mailIdsByDedupeKey = new HashMap<>();
  private final Map<SubjectId, List<String>> mailIdsBySubject = new HashMap<>();
  private final Map<RecipientKind, List<String>> mailIdsByRecipientKind = new HashMap<>();
  /** QUEUED mails by (nextAttemptAt, createdAt, id). */
  private final Map<String, Instant> suppressed = new HashMap<>();
  private final Map<String, EmailAddress> addressChanges = new HashMap<>();
  private final Map<String, EmailAddress> replacedAddresses = new HashMap<>();
  private final Map<String, Incident> incidents = new HashMap<>();
  private final Map<String, org.optin4j.campaign.Campaign> campaigns = new HashMap<>();
  private final Map<String, org.optin4j.rights.RightsRequest> rightsRequests = new HashMap<>();
  private final Map<String, org.optin4j.spi.NodeRegistration> nodes = new java.util.TreeMap<>();
  private final NavigableSet<MailDue> queuedMails = new TreeSet<>();
  /** CLAIMED mails by (leaseUntil, createdAt, id); a claim without lease end counts as expired. */
  private final NavigableSet<MailDue> claimedMails = new TreeSet<>();

  private InMemoryConsentStore() {}

  /**
   * Creates an empty store.
   *
   * @return the store
   */
  public static InMemoryConsentStore create() {
    return new InMemoryConsentStore();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if called from inside a unit of work on the same thread
   */
  @Override
  public <T> T inTransaction(Function<Transaction, T> work) {
    return run(work, false);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: like {@link #inTransaction} (under the same lock), with every write refused.
   */
  @Override
  public <T> T read(Function<Transaction, T> work) {
    return run(work, true);
  }

  private <T> T run(Function<Transaction, T> work, boolean readOnly) {
    Objects.requireNonNull(work, "work");
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(
          "nested inTransaction is not supported by InMemoryConsentStore; pass the Transaction down instead");
    }
    lock.lock();
    MemoryTransaction tx = new MemoryTransaction(Thread.currentThread(), readOnly);
    try {
      T result;
      try {
        result = work.apply(tx);
      } catch (Throwable t) {
        tx.rollback(t);
        throw t;
      }
      if (tx.doomedBy != null) {
        StoreException e =
            new StoreException("the unit of work went on after a duplicate key; the transaction was rolled back",
                tx.doomedBy);
        tx.rollback(e);
        throw e;
      }
      return result;
    } finally {
      tx.active = false;
      lock.unlock();
    }
  }

  /** A unit's view of the store: reads and writes the shared state directly, logging how to undo each write. */
  private final class MemoryTransaction implements Transaction {
    private final Thread owner;
    private final boolean readOnly;
    private final Deque<Runnable> undoLog = new ArrayDeque<>();
    private boolean active = true;
    private DuplicateKeyException doomedBy;

    MemoryTransaction(Thread owner, boolean readOnly) {
      this.owner = owner;
      this.readOnly = readOnly;
    }

    private void checkWritable() {
      if (readOnly) {
        throw new IllegalStateException("this unit of work only reads (ConsentStore.read); write in inTransaction");
      }
    }

    void rollback(Throwable cause) {
      try {
        while (!undoLog.isEmpty()) {
          undoLog.pop().run();
        }
      } catch (RuntimeException | Error e) {
        cause.addSuppressed(e);
      }
    }

    private void check() {
      if (!active) {
        throw new IllegalStateException("the transaction has ended");
      }
      if (Thread.currentThread() != owner) {
        throw new IllegalStateException("a transaction may only be used by the thread that runs it");
      }
      if (doomedBy != null) {
        throw new StoreException("the transaction is rolled back after a duplicate key", doomedBy);
      }
    }

    private DuplicateKeyException duplicate(String constraint) {
      doomedBy = new DuplicateKeyException("duplicate key: " + constraint, null);
      return doomedBy;
    }

    private void requireSubject(SubjectId id) {
      if (!subjects.containsKey(id)) {
        throw new StoreException("no subject with that id (foreign key)");
      }
    }

    // --- logged primitive writes ---

    private <K, V> void put(Map<K, V> map, K key, V value) {
      checkWritable();
      boolean had = map.containsKey(key);
      V old = map.put(key, value);
      undoLog.push(had ? () -> map.put(key, old) : () -> map.remove(key));
    }

    private <K, V> void remove(Map<K, V> map, K key) {
      checkWritable();
      if (map.containsKey(key)) {
        V old = map.remove(key);
        undoLog.push(() -> map.put(key, old));
      }
    }

    private <E> void append(List<E> list, E element) {
      checkWritable();
      list.add(element);
      undoLog.push(() -> list.remove(list.size() - 1));
    }

    private <E> void add(Set<E> set, E element) {
      checkWritable();
      if (set.add(element)) {
        undoLog.push(() -> set.remove(element));
      }
    }

    private <E> void remove(Set<E> set, E element) {
      checkWritable();
      if (set.remove(element)) {
        undoLog.push(() -> set.add(element));
      }
    }

    // --- subjects ---

    @Override
    public Optional<Subject> subjectByEmail(EmailAddress email) {
      check();
      Objects.requireNonNull(email, "email");
      SubjectId id = subjectIdsByEmail.get(email);
      return id == null ? Optional.empty() : Optional.of(subjects.get(id));
    }

    @Override
    public Optional<Subject> subject(SubjectId id) {
      check();
      Objects.requireNonNull(id, "id");
      return Optional.ofNullable(subjects.get(id));
    }

    @Override
    public void insertSubject(Subject subject) {
      check();
      checkWritable();
      Objects.requireNonNull(subject, "subject");
      if (subjects.containsKey(subject.id())) {
        throw duplicate("subject id");
      }
      if (subjectIdsByEmail.containsKey(subject.email())) {
        throw duplicate("subject email");
      }
      put(subjects, subject.id(), subject);
      put(subjectIdsByEmail, subject.email(), subject.id());
    }

    @Override
    public void updateSubject(Subject subject) {
      check();
      checkWritable();
      Objects.requireNonNull(subject, "subject");
      Subject stored = subjects.get(subject.id());
      if (stored == null) {
        throw new StoreException("no subject with that id");
      }
      if (!stored.email().equals(subject.email())) {
        if (subjectIdsByEmail.containsKey(subject.email())) {
          throw duplicate("subject email");
        }
        remove(subjectIdsByEmail, stored.email());
        put(subjectIdsByEmail, subject.email(), subject.id());
      }
      put(subjects, subject.id(), new Subject(stored.id(), subject.email(), stored.createdAt(),
          subject.addressGeneration()));
    }

    // --- consents and events ---

    @Override
    public List<Consent> consents(SubjectId id) {
      check();
      Objects.requireNonNull(id, "id");
      NavigableMap<PurposeId, Consent> byPurpose = consentsBySubject.get(id);
      return byPurpose == null ? List.of() : List.copyOf(byPurpose.values());
    }

    @Override
    public Optional<Consent> consent(SubjectId id, PurposeId purpose) {
      check();
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(purpose, "purpose");
      NavigableMap<PurposeId, Consent> byPurpose = consentsBySubject.get(id);
      return byPurpose == null ? Optional.empty() : Optional.ofNullable(byPurpose.get(purpose));
    }

    @Override
    public void saveConsent(Consent consent) {
      check();
      checkWritable();
      Objects.requireNonNull(consent, "consent");
      requireSubject(consent.subjectId());
      NavigableMap<PurposeId, Consent> byPurpose =
          consentsBySubject.computeIfAbsent(consent.subjectId(), k -> new TreeMap<>());
      put(byPurpose, consent.purpose(), consent);
    }

    @Override
    public ConsentEvent appendEvent(ConsentEvent event) {
      check();
      checkWritable();
      Objects.requireNonNull(event, "event");
      if (event.sequence() != 0) {
        throw new IllegalArgumentException("an event to append has sequence 0, was " + event.sequence());
      }
      if (event.seal() != null) {
        throw new IllegalArgumentException("an event to append has no seal yet");
      }
      requireSubject(event.subjectId());
      // The store lock serialises every transaction, so the head read here is the latest one.
      HistoryHead head = head(event.subjectId());
      byte[] salt = new byte[16];
      saltSource.nextBytes(salt);
      ConsentEvent stored = event.withSequence(++lastSequence).sealed(head.position() + 1, head.hash(), salt);
      append(eventsBySubject.computeIfAbsent(event.subjectId(), k -> new ArrayList<>()), stored);
      put(historyHeads, event.subjectId().value(),
          new HistoryHead(event.subjectId(), stored.seal().position(), stored.seal().hash()));
      return stored;
    }

    private HistoryHead head(SubjectId id) {
      HistoryHead head = historyHeads.get(id.value());
      return head != null ? head : new HistoryHead(id, 0, ConsentEvent.Seal.GENESIS);
    }

    @Override
    public void lockHistory(SubjectId id) {
      check();
      checkWritable();
      Objects.requireNonNull(id, "id");
      // Every transaction holds the store lock already.
    }

    @Override
    public Optional<HistoryHead> historyHead(SubjectId id) {
      check();
      Objects.requireNonNull(id, "id");
      return Optional.ofNullable(historyHeads.get(id.value()));
    }

    @Override
    public List<SubjectId> historySubjects(SubjectId after, int limit) {
      check();
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      Collection<HistoryHead> rest = after == null ? historyHeads.values()
          : historyHeads.tailMap(after.value(), false).values();
      return rest.stream().limit(limit).map(HistoryHead::subjectId).toList();
    }

    @Override
    public List<ConsentEvent> events(SubjectId id) {
      check();
      Objects.requireNonNull(id, "id");
      List<ConsentEvent> events = eventsBySubject.get(id);
      return events == null ? List.of() : List.copyOf(events);
    }

    // --- notices ---

    @Override
    public Notice saveNotice(Notice candidate) {
      check();
      checkWritable();
      Objects.requireNonNull(candidate, "candidate");
      Notice known = noticesByHash.get(candidate.hash());
      if (known != null) {
        return known;
      }
      String key = candidate.key();
      int version = latestNoticeVersionByKey.getOrDefault(key, 0) + 1;
      Notice stored = new Notice(version, candidate.hash(), candidate.locale(), candidate.purposes(),
          candidate.text(), candidate.createdAt());
      put(noticesByHash, stored.hash(), stored);
      put(latestNoticeVersionByKey, key, version);
      return stored;
    }

    @Override
    public Optional<Notice> notice(String hash) {
      check();
      Objects.requireNonNull(hash, "hash");
      return Optional.ofNullable(noticesByHash.get(hash));
    }

    // --- requests ---

    @Override
    public void insertRequest(PendingRequest request) {
      check();
      checkWritable();
      Objects.requireNonNull(request, "request");
      if (requests.containsKey(request.id())) {
        throw duplicate("request id");
      }
      requireSubject(request.subjectId());
      put(requests, request.id(), request);
      add(requestIdsBySubject.computeIfAbsent(request.subjectId(), k -> new LinkedHashSet<>()), request.id());
    }

    @Override
    public Optional<PendingRequest> request(String id) {
      check();
      Objects.requireNonNull(id, "id");
      return Optional.ofNullable(requests.get(id));
    }

    @Override
    public Optional<PendingRequest> findRequest(String id) {
      return request(id);
    }

    @Override
    public void updateRequest(PendingRequest request) {
      check();
      checkWritable();
      Objects.requireNonNull(request, "request");
      PendingRequest stored = requests.get(request.id());
      if (stored == null) {
        throw new StoreException("no request with that id");
      }
      if (!stored.subjectId().equals(request.subjectId())) {
        throw new IllegalArgumentException("a request cannot move to another subject");
      }
      put(requests, request.id(), request);
    }

    @Override
    public List<PendingRequest> openRequests(SubjectId id) {
      check();
      Objects.requireNonNull(id, "id");
      Set<String> ids = requestIdsBySubject.getOrDefault(id, Set.of());
      return ids.stream()
          .map(requests::get)
          .filter(r -> r.status() == PendingRequest.Status.OPEN)
          .sorted(Comparator.comparing(PendingRequest::requestedAt).thenComparing(PendingRequest::id))
          .toList();
    }

    // --- tokens ---

    @Override
    public boolean useToken(String tokenId, Instant expiresAt) {
      check();
      checkWritable();
      Objects.requireNonNull(tokenId, "tokenId");
      Objects.requireNonNull(expiresAt, "expiresAt");
      if (usedTokens.containsKey(tokenId)) {
        return false;
      }
      put(usedTokens, tokenId, expiresAt);
      return true;
    }

    // --- outbox ---

    @Override
    public boolean enqueue(OutboxMail mail) {
      check();
      checkWritable();
      Objects.requireNonNull(mail, "mail");
      if (mailIdsByDedupeKey.containsKey(mail.dedupeKey())) {
        return false;
      }
      if (mails.containsKey(mail.id())) {
        throw duplicate("mail id");
      }
      requireSubject(mail.subjectId());
      put(mails, mail.id(), mail);
      put(mailIdsByDedupeKey, mail.dedupeKey(), mail.id());
      append(mailIdsBySubject.computeIfAbsent(mail.subjectId(), k -> new ArrayList<>()), mail.id());
      append(mailIdsByRecipientKind.computeIfAbsent(new RecipientKind(mail.recipient(), mail.kind()),
          k -> new ArrayList<>()), mail.id());
      index(mail);
      return true;
    }

    @Override
    public int countMails(EmailAddress recipient, MailKind kind, Instant since) {
      check();
      Objects.requireNonNull(recipient, "recipient");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(since, "since");
      int count = 0;
      for (String id : mailIdsByRecipientKind.getOrDefault(new RecipientKind(recipient, kind), List.of())) {
        if (!mails.get(id).createdAt().isBefore(since)) {
          count++;
        }
      }
      return count;
    }

    @Override
    public Optional<Instant> mailQueuedAt(String dedupeKey) {
      check();
      Objects.requireNonNull(dedupeKey, "dedupeKey");
      String id = mailIdsByDedupeKey.get(dedupeKey);
      return id == null ? Optional.empty() : Optional.of(mails.get(id).createdAt());
    }

    @Override
    public List<OutboxMail> claimMails(Instant now, Instant leaseUntil, int limit) {
      check();
      checkWritable();
      Objects.requireNonNull(now, "now");
      Objects.requireNonNull(leaseUntil, "leaseUntil");
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      if (!leaseUntil.isAfter(now)) {
        throw new IllegalArgumentException("leaseUntil must be after now");
      }
      List<OutboxMail> due = new ArrayList<>();
      for (MailDue d : queuedMails) {
        if (due.size() == limit || d.at().isAfter(now)) {
          break;
        }
        due.add(mails.get(d.id()));
      }
      for (MailDue d : claimedMails) {
        if (d.at().isAfter(now)) {
          break;
        }
        due.add(mails.get(d.id()));
      }
      due.sort(DUE_ORDER);
      List<OutboxMail> claimed = new ArrayList<>(Math.min(limit, due.size()));
      for (OutboxMail mail : due.subList(0, Math.min(limit, due.size()))) {
        OutboxMail c = mail.claimed(leaseUntil);
        replaceMail(mail, c);
        claimed.add(c);
      }
      return List.copyOf(claimed);
    }

    @Override
    public void updateMail(OutboxMail mail) {
      check();
      checkWritable();
      Objects.requireNonNull(mail, "mail");
      OutboxMail stored = mails.get(mail.id());
      if (stored == null) {
        throw new StoreException("no outbox mail with that id");
      }
      replaceMail(stored, new OutboxMail(stored.id(), stored.kind(), stored.subjectId(), stored.recipient(),
          stored.requestId(), stored.generation(), stored.locale(), stored.purposes(), stored.dedupeKey(),
          mail.status(), mail.attempts(), mail.nextAttemptAt(), mail.leaseUntil(), stored.createdAt(), mail.sentAt(),
          mail.lastError()));
    }

    @Override
    public int renewClaims(java.util.Collection<String> ids, Instant heldUntil, Instant newUntil) {
      check();
      checkWritable();
      Objects.requireNonNull(heldUntil, "heldUntil");
      Objects.requireNonNull(newUntil, "newUntil");
      if (!newUntil.isAfter(heldUntil)) {
        throw new IllegalArgumentException("newUntil must be after heldUntil");
      }
      int renewed = 0;
      for (OutboxMail held : heldClaims(ids, heldUntil)) {
        replaceMail(held, held.claimed(newUntil));
        renewed++;
      }
      return renewed;
    }

    @Override
    public int releaseClaims(java.util.Collection<String> ids, Instant heldUntil) {
      check();
      checkWritable();
      Objects.requireNonNull(heldUntil, "heldUntil");
      int released = 0;
      for (OutboxMail held : heldClaims(ids, heldUntil)) {
        replaceMail(held, held.released());
        released++;
      }
      return released;
    }

    /** The mails of {@code ids} claimed with a lease ending exactly at {@code heldUntil}, each once. */
    private List<OutboxMail> heldClaims(java.util.Collection<String> ids, Instant heldUntil) {
      List<OutboxMail> held = new ArrayList<>();
      for (String id : new java.util.LinkedHashSet<>(Objects.requireNonNull(ids, "ids"))) {
        OutboxMail m = mails.get(Objects.requireNonNull(id, "id"));
        if (m != null && m.status() == OutboxMail.Status.CLAIMED && heldUntil.equals(m.leaseUntil())) {
          held.add(m);
        }
      }
      return held;
    }

    @Override
    public List<OutboxMail> mails(SubjectId id) {
      check();
      Objects.requireNonNull(id, "id");
      return mailIdsBySubject.getOrDefault(id, List.of()).stream()
          .map(mails::get)
          .sorted(Comparator.comparing(OutboxMail::createdAt).thenComparing(OutboxMail::id))
          .toList();
    }

    // --- operator listings: plain scans; this store serves tests and single-node demos ---

    @Override
    public List<Subject> subjects(int offset, int limit) {
      check();
      if (offset < 0 || limit < 1) {
        throw new IllegalArgumentException("offset must be 0 or more and limit 1 or more");
      }
      return subjects.values().stream()
          .sorted(Comparator.comparing(Subject::createdAt).reversed().thenComparing(s -> s.id().value()))
          .skip(offset)
          .limit(limit)
          .toList();
    }

    @Override
    public long countSubjects() {
      check();
      return subjects.size();
    }

    @Override
    public Map<OutboxMail.Status, Long> countMailsByStatus() {
      check();
      Map<OutboxMail.Status, Long> out = new java.util.EnumMap<>(OutboxMail.Status.class);
      for (OutboxMail m : mails.values()) {
        out.merge(m.status(), 1L, Long::sum);
      }
      return java.util.Collections.unmodifiableMap(out);
    }

    // --- erasure, suppression, rectification ---

    @Override
    public boolean eraseSubject(SubjectId id, boolean keepHistoryStub) {
      check();
      checkWritable();
      Objects.requireNonNull(id, "id");
      Subject subject = subjects.get(id);
      if (subject == null) {
        return false;
      }
      remove(subjects, id);
      remove(subjectIdsByEmail, subject.email());
      remove(consentsBySubject, id);
      List<ConsentEvent> events = eventsBySubject.get(id);
      if (events != null && keepHistoryStub) {
        List<ConsentEvent> stub = new ArrayList<>();
        for (ConsentEvent e : events) {
          stub.add(e.deidentified());
        }
        put(eventsBySubject, id, stub);
      } else if (!keepHistoryStub) {
        remove(eventsBySubject, id);
        remove(historyHeads, id.value());
      }
      for (String requestId : List.copyOf(requestIdsBySubject.getOrDefault(id, Set.of()))) {
        remove(requests, requestId);
        remove(addressChanges, requestId);
        remove(replacedAddresses, requestId);
      }
      remove(requestIdsBySubject, id);
      for (String mailId : List.copyOf(mailIdsBySubject.getOrDefault(id, List.of()))) {
        deleteMail(mails.get(mailId));
      }
      remove(mailIdsBySubject, id);
      return true;
    }

    private void deleteMail(OutboxMail mail) {
      unindex(mail);
      remove(mails, mail.id());
      remove(mailIdsByDedupeKey, mail.dedupeKey());
      RecipientKind rk = new RecipientKind(mail.recipient(), mail.kind());
      List<String> byRecipient = new ArrayList<>(mailIdsByRecipientKind.getOrDefault(rk, List.of()));
      byRecipient.remove(mail.id());
      put(mailIdsByRecipientKind, rk, byRecipient);
      List<String> bySubject = mailIdsBySubject.get(mail.subjectId());
      if (bySubject != null) {
        List<String> copy = new ArrayList<>(bySubject);
        copy.remove(mail.id());
        put(mailIdsBySubject, mail.subjectId(), copy);
      }
    }

    @Override
    public void suppress(String addressKey, Instant at) {
      check();
      checkWritable();
      Objects.requireNonNull(addressKey, "addressKey");
      Objects.requireNonNull(at, "at");
      if (!suppressed.containsKey(addressKey)) {
        put(suppressed, addressKey, at);
      }
    }

    @Override
    public boolean isSuppressed(String addressKey) {
      check();
      return suppressed.containsKey(Objects.requireNonNull(addressKey, "addressKey"));
    }

    @Override
    public void unsuppress(String addressKey) {
      check();
      checkWritable();
      remove(suppressed, Objects.requireNonNull(addressKey, "addressKey"));
    }

    @Override
    public void saveAddressChange(String requestId, EmailAddress newEmail) {
      check();
      checkWritable();
      Objects.requireNonNull(newEmail, "newEmail");
      if (!requests.containsKey(Objects.requireNonNull(requestId, "requestId"))) {
        throw new StoreException("no request with that id (foreign key)");
      }
      put(addressChanges, requestId, newEmail);
    }

    @Override
    public Optional<EmailAddress> addressChange(String requestId) {
      check();
      return Optional.ofNullable(addressChanges.get(Objects.requireNonNull(requestId, "requestId")));
    }

    @Override
    public void saveReplacedAddress(String requestId, EmailAddress previousEmail) {
      check();
      checkWritable();
      Objects.requireNonNull(previousEmail, "previousEmail");
      if (!addressChanges.containsKey(Objects.requireNonNull(requestId, "requestId"))) {
        throw new StoreException("no address change for request " + requestId);
      }
      put(replacedAddresses, requestId, previousEmail);
    }

    @Override
    public Optional<EmailAddress> replacedAddress(String requestId) {
      check();
      return Optional.ofNullable(replacedAddresses.get(Objects.requireNonNull(requestId, "requestId")));
    }

    @Override
    public int deleteStaleAddressChanges(Instant unconfirmedExpiredBefore, Instant confirmedBefore, int limit) {
      check();
      checkWritable();
      Objects.requireNonNull(unconfirmedExpiredBefore, "unconfirmedExpiredBefore");
      Objects.requireNonNull(confirmedBefore, "confirmedBefore");
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      List<String> stale = addressChanges.keySet().stream().sorted()
          .filter(id -> {
            PendingRequest r = requests.get(id);
            return r != null && (r.status() == PendingRequest.Status.CONFIRMED
                ? r.closedAt() != null && r.closedAt().isBefore(confirmedBefore)
                : r.expiresAt().isBefore(unconfirmedExpiredBefore));
          })
          .limit(limit)
          .toList();
      for (String id : stale) {
        remove(addressChanges, id);
        remove(replacedAddresses, id);
        PendingRequest r = requests.get(id);
        if (r.status() != PendingRequest.Status.CONFIRMED) {
          remove(requests, id);
          Set<String> ids = requestIdsBySubject.get(r.subjectId());
          if (ids != null) {
            remove(ids, id);
          }
        }
      }
      return stale.size();
    }

    @Override
    public int clearLapsedRequestEvidence(Instant expiredBefore, int limit) {
      check();
      checkWritable();
      Objects.requireNonNull(expiredBefore, "expiredBefore");
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      List<PendingRequest> lapsed = requests.values().stream()
          .filter(r -> r.status() != PendingRequest.Status.CONFIRMED && r.expiresAt().isBefore(expiredBefore))
          .filter(r -> !r.evidence().equals(org.optin4j.Evidence.NONE))
          .sorted(Comparator.comparing(PendingRequest::id))
          .limit(limit)
          .toList();
      for (PendingRequest r : lapsed) {
        put(requests, r.id(), new PendingRequest(r.id(), r.subjectId(), r.purposes(), r.notice(), r.source(),
            org.optin4j.Evidence.NONE, r.requestedAt(), r.expiresAt(), r.generation(), r.status(), r.closedAt()));
      }
      return lapsed.size();
    }

    // --- retention: plain scans; this store serves tests and single-node demos ---

    @Override
    public List<PendingRequest> openRequestsExpiredBefore(Instant before, int limit) {
      check();
      return requests.values().stream()
          .filter(r -> r.status() == PendingRequest.Status.OPEN && r.expiresAt().isBefore(before))
          .sorted(Comparator.comparing(PendingRequest::expiresAt).thenComparing(PendingRequest::id))
          .limit(limit)
          .toList();
    }

    @Override
    public List<Consent> confirmedBefore(PurposeId purpose, Instant confirmedBefore, int limit) {
      check();
      List<Consent> out = new ArrayList<>();
      for (NavigableMap<PurposeId, Consent> byPurpose : consentsBySubject.values()) {
        Consent c = byPurpose.get(purpose);
        if (c != null && c.state() == org.optin4j.ConsentState.CONFIRMED
            && c.confirmedAt().isBefore(confirmedBefore)) {
          out.add(c);
        }
      }
      out.sort(Comparator.comparing(Consent::confirmedAt).thenComparing(c -> c.subjectId().value()));
      return List.copyOf(out.subList(0, Math.min(limit, out.size())));
    }

    @Override
    public List<SubjectId> dormantSubjects(Instant before, int limit) {
      check();
      List<SubjectId> out = new ArrayList<>();
      for (Subject s : subjects.values()) {
        Collection<Consent> consents = consentsBySubject.getOrDefault(s.id(), new TreeMap<>()).values();
        Instant last = s.createdAt();
        boolean live = false;
        for (Consent c : consents) {
          if (c.state() == org.optin4j.ConsentState.PENDING || c.state() == org.optin4j.ConsentState.CONFIRMED) {
            live = true;
            break;
          }
          if (c.endedAt() != null && c.endedAt().isAfter(last)) {
            last = c.endedAt();
          }
        }
        if (!live && last.isBefore(before)) {
          out.add(s.id());
        }
      }
      out.sort(Comparator.comparing(SubjectId::value));
      return List.copyOf(out.subList(0, Math.min(limit, out.size())));
    }

    @Override
    public int expireOpenRequests(Instant expiredBefore, Instant now, int limit) {
      check();
      Objects.requireNonNull(expiredBefore, "expiredBefore");
      Objects.requireNonNull(now, "now");
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      // The store lock serialises every transaction: nothing is ever locked by another unit here.
      List<PendingRequest> due = requests.values().stream()
          .filter(r -> r.status() == PendingRequest.Status.OPEN && r.expiresAt().isBefore(expiredBefore))
          .filter(r -> !PendingRequest.RECONSENT_SOURCE.equals(r.source()))
          .sorted(Comparator.comparing(PendingRequest::expiresAt).thenComparing(PendingRequest::id))
          .limit(limit)
          .toList();
      for (PendingRequest r : due) {
        for (PurposeId p : new TreeSet<>(r.purposes())) {
          Optional<Consent> pending = consent(r.subjectId(), p)
              .filter(c -> c.state() == org.optin4j.ConsentState.PENDING && c.requestId().equals(r.id()));
          if (pending.isPresent()) {
            saveConsent(pending.get().expire(now));
            appendEvent(new ConsentEvent(0, r.subjectId(), p, ConsentEvent.Type.EXPIRED, now, r.id(),
                pending.get().notice(), null, org.optin4j.Channel.SYSTEM, org.optin4j.Evidence.NONE, null));
          }
        }
        updateRequest(r.withStatus(PendingRequest.Status.EXPIRED, now));
      }
      return due.size();
    }

    @Override
    public List<SubjectId> lapsedSignups(Instant before, SubjectId after, int limit) {
      check();
      Objects.requireNonNull(before, "before");
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      return subjects.keySet().stream()
          .filter(id -> after == null || id.value().compareTo(after.value()) > 0)
          .filter(id -> isLapsedSignup(id, before))
          .sorted(Comparator.comparing(SubjectId::value))
          .limit(limit)
          .toList();
    }

    @Override
    public int deleteLapsedSignups(List<SubjectId> ids, Instant before) {
      check();
      Objects.requireNonNull(ids, "ids");
      Objects.requireNonNull(before, "before");
      if (ids.size() > 1000) {
        throw new IllegalArgumentException("at most 1000 ids at once, were " + ids.size());
      }
      int deleted = 0;
      for (SubjectId id : ids.stream().distinct().sorted(Comparator.comparing(SubjectId::value)).toList()) {
        if (isLapsedSignup(id, before) && eraseSubject(id, false)) {
          deleted++;
        }
      }
      return deleted;
    }

    /** Tells whether a subject is a lapsed signup before the cut-off, as {@link #lapsedSignups} defines it. */
    private boolean isLapsedSignup(SubjectId id, Instant before) {
      Subject subject = subjects.get(id);
      if (subject == null || !subject.createdAt().isBefore(before)) {
        return false;
      }
      Collection<Consent> consents = consentsBySubject.getOrDefault(id, new TreeMap<>()).values();
      if (consents.isEmpty()) {
        return false;
      }
      for (Consent c : consents) {
        if (c.confirmedAt() != null) {
          return false;
        }
        boolean lapsed = switch (c.state()) {
          case PENDING -> {
            PendingRequest r = requests.get(c.requestId());
            yield r != null && r.subjectId().equals(id) && r.status() == PendingRequest.Status.OPEN
                && r.expiresAt().isBefore(before);
          }
          case WITHDRAWN, EXPIRED -> c.endedAt() != null && c.endedAt().isBefore(before);
          default -> false;
        };
        if (!lapsed) {
          return false;
        }
      }
      for (String requestId : requestIdsBySubject.getOrDefault(id, Set.of())) {
        PendingRequest r = requests.get(requestId);
        if (r.status() == PendingRequest.Status.OPEN && !r.expiresAt().isBefore(before)) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int deleteUsedTokens(Instant expiredBefore, int limit) {
      check();
      checkWritable();
      List<String> old = usedTokens.entrySet().stream()
          .filter(e -> e.getValue().isBefore(expiredBefore))
          .map(Map.Entry::getKey)
          .sorted()
          .limit(limit)
          .toList();
      for (String id : old) {
        remove(usedTokens, id);
      }
      return old.size();
    }

    @Override
    public int deleteFinishedMails(Instant createdBefore, int limit) {
      check();
      checkWritable();
      List<OutboxMail> old = mails.values().stream()
          .filter(m -> m.status() == OutboxMail.Status.SENT || m.status() == OutboxMail.Status.FAILED
              || m.status() == OutboxMail.Status.SKIPPED)
          .filter(m -> m.createdAt().isBefore(createdBefore))
          .sorted(Comparator.comparing(OutboxMail::createdAt).thenComparing(OutboxMail::id))
          .limit(limit)
          .toList();
      for (OutboxMail m : old) {
        deleteMail(m);
      }
      return old.size();
    }

    // --- breach register ---

    @Override
    public void saveIncident(Incident incident) {
      check();
      checkWritable();
      Objects.requireNonNull(incident, "incident");
      put(incidents, incident.id(), incident);
    }

    @Override
    public Optional<Incident> incident(String id) {
      check();
      return Optional.ofNullable(incidents.get(Objects.requireNonNull(id, "id")));
    }

    @Override
    public List<Incident> incidents() {
      check();
      return incidents.values().stream()
          .sorted(Comparator.comparing(Incident::discoveredAt).reversed().thenComparing(Incident::id))
          .toList();
    }

    @Override
    public List<SubjectId> subjects(Set<PurposeId> purposes, Set<org.optin4j.ConsentState> states, SubjectId after,
        int limit) {
      check();
      Objects.requireNonNull(purposes, "purposes");
      Objects.requireNonNull(states, "states");
      if (limit < 0) {
        throw new IllegalArgumentException("limit must not be negative, was " + limit);
      }
      return subjects.keySet().stream()
          .filter(id -> after == null || id.value().compareTo(after.value()) > 0)
          .filter(id -> purposes.isEmpty() || consentsBySubject.getOrDefault(id, new TreeMap<>()).values().stream()
              .anyMatch(c -> purposes.contains(c.purpose()) && (states.isEmpty() || states.contains(c.state()))))
          .sorted(Comparator.comparing(SubjectId::value))
          .limit(limit)
          .toList();
    }

    @Override
    public void insertCampaign(org.optin4j.campaign.Campaign campaign) {
      check();
      checkWritable();
      Objects.requireNonNull(campaign, "campaign");
      if (campaigns.containsKey(campaign.id())) {
        throw duplicate("campaign id");
      }
      put(campaigns, campaign.id(), campaign);
    }

    @Override
    public Optional<org.optin4j.campaign.Campaign> campaign(String id) {
      check();
      return Optional.ofNullable(campaigns.get(Objects.requireNonNull(id, "id")));
    }

    @Override
    public Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId) {
      check();
      Objects.requireNonNull(requestId, "requestId");
      Map<OutboxMail.Status, Integer> counts = new java.util.EnumMap<>(OutboxMail.Status.class);
      for (OutboxMail m : mails.values()) {
        if (requestId.equals(m.requestId())) {
          counts.merge(m.status(), 1, Integer::sum);
        }
      }
      return java.util.Collections.unmodifiableMap(counts);
    }

    @Override
    public void saveRightsRequest(org.optin4j.rights.RightsRequest request) {
      check();
      checkWritable();
      Objects.requireNonNull(request, "request");
      put(rightsRequests, request.id(), request);
    }

    @Override
    public Optional<org.optin4j.rights.RightsRequest> rightsRequest(String id) {
      check();
      return Optional.ofNullable(rightsRequests.get(Objects.requireNonNull(id, "id")));
    }

    @Override
    public List<org.optin4j.rights.RightsRequest> openRightsRequests() {
      check();
      return rightsRequests.values().stream()
          .filter(org.optin4j.rights.RightsRequest::isOpen)
          .sorted(Comparator.comparing(org.optin4j.rights.RightsRequest::dueAt)
              .thenComparing(org.optin4j.rights.RightsRequest::id))
          .toList();
    }

    @Override
    public void saveNode(org.optin4j.spi.NodeRegistration node) {
      check();
      checkWritable();
      Objects.requireNonNull(node, "node");
      put(nodes, node.nodeId(), node);
    }

    @Override
    public List<org.optin4j.spi.NodeRegistration> nodes() {
      check();
      return List.copyOf(nodes.values());
    }

    @Override
    public boolean deleteNode(String nodeId) {
      check();
      checkWritable();
      boolean had = nodes.containsKey(Objects.requireNonNull(nodeId, "nodeId"));
      remove(nodes, nodeId);
      return had;
    }

    private void replaceMail(OutboxMail stored, OutboxMail replacement) {
      unindex(stored);
      put(mails, replacement.id(), replacement);
      index(replacement);
    }

    /** Adds a mail to the due index it belongs in; only QUEUED and CLAIMED mails can be claimed, so only they are. */
    private void index(OutboxMail mail) {
      if (mail.status() == OutboxMail.Status.QUEUED) {
        add(queuedMails, queueKey(mail));
      } else if (mail.status() == OutboxMail.Status.CLAIMED) {
        add(claimedMails, leaseKey(mail));
      }
    }

    private void unindex(OutboxMail mail) {
      if (mail.status() == OutboxMail.Status.QUEUED) {
        remove(queuedMails, queueKey(mail));
      } else if (mail.status() == OutboxMail.Status.CLAIMED) {
        remove(claimedMails, leaseKey(mail));
      }
    }

    private MailDue queueKey(OutboxMail mail) {
      return new MailDue(mail.nextAttemptAt(), mail.createdAt(), mail.id());
    }

    private MailDue leaseKey(OutboxMail mail) {
      return new MailDue(mail.leaseUntil() == null ? Instant.MIN : mail.leaseUntil(), mail.createdAt(), mail.id());
    }
  }

  /** The order in which due mails are claimed: oldest due first, then oldest enqueued, then by id. */
  private static final Comparator<OutboxMail> DUE_ORDER =
      Comparator.comparing(OutboxMail::nextAttemptAt)
          .thenComparing(OutboxMail::createdAt)
          .thenComparing(OutboxMail::id);

  /** The key of the per-address caps. */
  private record RecipientKind(EmailAddress recipient, MailKind kind) {}

  /** An entry of a due-time index. */
  private record MailDue(Instant at, Instant createdAt, String id) implements Comparable<MailDue> {
    private static final Comparator<MailDue> ORDER =
        Comparator.comparing(MailDue::at).thenComparing(MailDue::createdAt).thenComparing(MailDue::id);

    @Override
    public int compareTo(MailDue other) {
      return ORDER.compare(this, other);
    }
  }
}
