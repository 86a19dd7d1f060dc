package org.optin4j.memory;

import static org.optin4j.memory.MemoryState.DUE_ORDER;
import static org.optin4j.memory.MemoryUnit.checkLimit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;
import org.optin4j.memory.MemoryState.MailDue;
import org.optin4j.memory.MemoryState.RecipientKind;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.OutboxStore;

/**
 * The in-memory OutboxStore: mail outbox and its due-time indexes. Reads and writes the store's shared state directly,
 * under the store lock that every unit holds, and logs how to undo each write in its unit. One per unit of work; not
 * thread-safe.
 */
record MemoryOutbox(MemoryUnit unit, MemoryState state) implements OutboxStore {
  @Override
  public boolean enqueue(OutboxMail mail) {
    unit.checkWrite();
    Objects.requireNonNull(mail, "mail");
    if (state.mailIdsByDedupeKey.containsKey(mail.dedupeKey())) {
      return false;
    }
    unit.requireAbsent(state.mails, mail.id(), "mail id");
    unit.requireSubject(mail.subjectId());
    unit.put(state.mails, mail.id(), mail);
    unit.put(state.mailIdsByDedupeKey, mail.dedupeKey(), mail.id());
    unit.append(
        state.mailIdsBySubject.computeIfAbsent(mail.subjectId(), k -> new ArrayList<>()),
        mail.id());
    RecipientKind byRecipient = new RecipientKind(mail.recipient(), mail.kind());
    unit.append(
        state.mailIdsByRecipientKind.computeIfAbsent(byRecipient, k -> new ArrayList<>()),
        mail.id());
    index(mail);
    return true;
  }

  @Override
  public org.optin4j.spi.CampaignPage.Queued enqueueCampaignPage(
      org.optin4j.spi.CampaignPage page) {
    unit.checkWrite();
    Objects.requireNonNull(page, "page");
    List<org.optin4j.Consent> confirmed =
        state.consentsBySubject.entrySet().stream()
            .filter(
                e -> page.after() == null || e.getKey().value().compareTo(page.after().value()) > 0)
            .map(e -> e.getValue().get(page.purpose()))
            .filter(c -> c != null && c.state() == org.optin4j.ConsentState.CONFIRMED)
            .sorted(Comparator.comparing(c -> c.subjectId().value()))
            .limit(page.limit())
            .toList();
    int queued = 0;
    for (org.optin4j.Consent c : confirmed) {
      if (c.restricted()
          || page.activeSince() != null && !c.confirmedAt().isAfter(page.activeSince())) {
        continue;
      }
      if (enqueue(
          OutboxMail.queued(
              page.mailId(c.subjectId()),
              MailKind.CAMPAIGN,
              c.subjectId(),
              state.subjects.get(c.subjectId()).email(),
              page.campaignId(),
              0,
              c.notice().locale(),
              List.of(page.purpose()),
              page.dedupeKey(c.subjectId()),
              page.now()))) {
        queued++;
      }
    }
    return new org.optin4j.spi.CampaignPage.Queued(
        confirmed.size(),
        queued,
        confirmed.isEmpty() ? null : confirmed.get(confirmed.size() - 1).subjectId());
  }

  @Override
  public int countMails(EmailAddress recipient, MailKind kind, Instant since) {
    unit.check();
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(since, "since");
    int count = 0;
    List<String> ids =
        state.mailIdsByRecipientKind.getOrDefault(new RecipientKind(recipient, kind), List.of());
    for (String id : ids) {
      if (!state.mails.get(id).createdAt().isBefore(since)) {
        count++;
      }
    }
    return count;
  }

  @Override
  public Optional<Instant> mailQueuedAt(String dedupeKey) {
    unit.check();
    Objects.requireNonNull(dedupeKey, "dedupeKey");
    String id = state.mailIdsByDedupeKey.get(dedupeKey);
    return id == null ? Optional.empty() : Optional.of(state.mails.get(id).createdAt());
  }

  @Override
  public List<OutboxMail> claimMails(Instant now, Instant leaseUntil, int limit) {
    unit.checkWrite();
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    checkLimit(limit);
    if (!leaseUntil.isAfter(now)) {
      throw new IllegalArgumentException("leaseUntil must be after now");
    }
    List<OutboxMail> due = new ArrayList<>();
    addDue(state.queuedMails, now, limit, due);
    addDue(state.queuedCampaignMails, now, limit, due);
    for (MailDue d : state.claimedMails) {
      if (d.at().isAfter(now)) {
        break;
      }
      due.add(state.mails.get(d.id()));
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

  /** Adds to {@code due} the first at most {@code limit} mails of {@code queued} that are due at {@code now}. */
  private void addDue(NavigableSet<MailDue> queued, Instant now, int limit, List<OutboxMail> due) {
    int added = 0;
    for (MailDue d : queued) {
      if (added == limit || d.at().isAfter(now)) {
        break;
      }
      due.add(state.mails.get(d.id()));
      added++;
    }
  }

  @Override
  public void updateMail(OutboxMail mail) {
    OutboxMail stored = unit.replacing(state.mails, mail, "mail", OutboxMail::id, "outbox mail");
    replaceMail(
        stored,
        new OutboxMail(
            stored.id(),
            stored.kind(),
            stored.subjectId(),
            stored.recipient(),
            stored.requestId(),
            stored.generation(),
            stored.locale(),
            stored.purposes(),
            stored.dedupeKey(),
            mail.status(),
            mail.attempts(),
            mail.nextAttemptAt(),
            mail.leaseUntil(),
            stored.createdAt(),
            mail.sentAt(),
            mail.lastError()));
  }

  @Override
  public int renewClaims(java.util.Collection<String> ids, Instant heldUntil, Instant newUntil) {
    unit.checkWrite();
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
    unit.checkWrite();
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
      OutboxMail m = state.mails.get(Objects.requireNonNull(id, "id"));
      if (m != null
          && m.status() == OutboxMail.Status.CLAIMED
          && heldUntil.equals(m.leaseUntil())) {
        held.add(m);
      }
    }
    return held;
  }

  @Override
  public List<OutboxMail> mails(SubjectId id) {
    unit.check();
    Objects.requireNonNull(id, "id");
    return state.mailIdsBySubject.getOrDefault(id, List.of()).stream()
        .map(state.mails::get)
        .sorted(Comparator.comparing(OutboxMail::createdAt).thenComparing(OutboxMail::id))
        .toList();
  }

  @Override
  public Map<OutboxMail.Status, Long> countMailsByStatus() {
    unit.check();
    Map<OutboxMail.Status, Long> out = new java.util.EnumMap<>(OutboxMail.Status.class);
    for (OutboxMail m : state.mails.values()) {
      out.merge(m.status(), 1L, Long::sum);
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  @Override
  public Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId) {
    unit.check();
    Objects.requireNonNull(requestId, "requestId");
    Map<OutboxMail.Status, Integer> counts = new java.util.EnumMap<>(OutboxMail.Status.class);
    for (OutboxMail m : state.mails.values()) {
      if (requestId.equals(m.requestId())) {
        counts.merge(m.status(), 1, Integer::sum);
      }
    }
    return java.util.Collections.unmodifiableMap(counts);
  }

  /** Deletes a mail with its index entries (erasure and retention). */
  void deleteMail(OutboxMail mail) {
    unindex(mail);
    unit.remove(state.mails, mail.id());
    unit.remove(state.mailIdsByDedupeKey, mail.dedupeKey());
    RecipientKind rk = new RecipientKind(mail.recipient(), mail.kind());
    List<String> byRecipient =
        new ArrayList<>(state.mailIdsByRecipientKind.getOrDefault(rk, List.of()));
    byRecipient.remove(mail.id());
    unit.put(state.mailIdsByRecipientKind, rk, byRecipient);
    List<String> bySubject = state.mailIdsBySubject.get(mail.subjectId());
    if (bySubject != null) {
      List<String> copy = new ArrayList<>(bySubject);
      copy.remove(mail.id());
      unit.put(state.mailIdsBySubject, mail.subjectId(), copy);
    }
  }

  private void replaceMail(OutboxMail stored, OutboxMail replacement) {
    unindex(stored);
    unit.put(state.mails, replacement.id(), replacement);
    index(replacement);
  }

  /** Adds a mail to the due index it belongs in; only QUEUED and CLAIMED mails can be claimed, so only they are. */
  private void index(OutboxMail mail) {
    if (mail.status() == OutboxMail.Status.QUEUED) {
      unit.add(queued(mail), queueKey(mail));
    } else if (mail.status() == OutboxMail.Status.CLAIMED) {
      unit.add(state.claimedMails, leaseKey(mail));
    }
  }

  private void unindex(OutboxMail mail) {
    if (mail.status() == OutboxMail.Status.QUEUED) {
      unit.remove(queued(mail), queueKey(mail));
    } else if (mail.status() == OutboxMail.Status.CLAIMED) {
      unit.remove(state.claimedMails, leaseKey(mail));
    }
  }

  /** The due index of a QUEUED mail: campaign mail has its own, claimed only after the other. */
  private NavigableSet<MailDue> queued(OutboxMail mail) {
    return mail.kind() == MailKind.CAMPAIGN ? state.queuedCampaignMails : state.queuedMails;
  }

  private MailDue queueKey(OutboxMail mail) {
    return new MailDue(mail.nextAttemptAt(), mail.createdAt(), mail.id());
  }

  private MailDue leaseKey(OutboxMail mail) {
    Instant leaseEnd = mail.leaseUntil() == null ? Instant.MIN : mail.leaseUntil();
    return new MailDue(leaseEnd, mail.createdAt(), mail.id());
  }
}
