package org.optin4j.memory;

import static org.optin4j.memory.MemoryUnit.checkLimit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.optin4j.Consent;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ChainSealer;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.RetentionStore;

/**
 * The in-memory RetentionStore: set-based purge and expiry operations (plain scans: this store serves tests and
 * single-node demos). Reads and writes the store's shared state directly, under the store lock that every unit holds,
 * and logs how to undo each write in its unit. One per unit of work; not thread-safe.
 */
record MemoryRetention(MemoryUnit unit, MemoryState state) implements RetentionStore {
  @Override
  public List<PendingRequest> openRequestsExpiredBefore(Instant before, int limit) {
    unit.check();
    return openExpiredBefore(before).limit(limit).toList();
  }

  /** The requests still open that expired before {@code before}, the oldest expiry first (then by id). */
  private Stream<PendingRequest> openExpiredBefore(Instant before) {
    return state.requests.values().stream()
        .filter(r -> r.status() == PendingRequest.Status.OPEN && r.expiresAt().isBefore(before))
        .sorted(Comparator.comparing(PendingRequest::expiresAt).thenComparing(PendingRequest::id));
  }

  @Override
  public List<Consent> confirmedBefore(PurposeId purpose, Instant confirmedBefore, int limit) {
    unit.check();
    List<Consent> out = new ArrayList<>();
    for (NavigableMap<PurposeId, Consent> byPurpose : state.consentsBySubject.values()) {
      Consent c = byPurpose.get(purpose);
      if (c != null
          && c.state() == org.optin4j.ConsentState.CONFIRMED
          && c.confirmedAt().isBefore(confirmedBefore)) {
        out.add(c);
      }
    }
    out.sort(Comparator.comparing(Consent::confirmedAt).thenComparing(c -> c.subjectId().value()));
    return List.copyOf(out.subList(0, Math.min(limit, out.size())));
  }

  @Override
  public List<SubjectId> dormantSubjects(Instant before, int limit) {
    unit.check();
    List<SubjectId> out = new ArrayList<>();
    for (Subject s : state.subjects.values()) {
      Collection<Consent> consents =
          state.consentsBySubject.getOrDefault(s.id(), new TreeMap<>()).values();
      Instant last = s.createdAt();
      boolean live = false;
      for (Consent c : consents) {
        if (c.state() == org.optin4j.ConsentState.PENDING
            || c.state() == org.optin4j.ConsentState.CONFIRMED) {
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
  public int expireOpenRequests(Instant expiredBefore, Instant now, int limit, ChainSealer sealer) {
    unit.check();
    Objects.requireNonNull(expiredBefore, "expiredBefore");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(sealer, "sealer");
    checkLimit(limit);
    // The store lock serialises every transaction: nothing is ever locked by another unit here.
    List<PendingRequest> due =
        openExpiredBefore(expiredBefore)
            .filter(r -> !PendingRequest.RECONSENT_SOURCE.equals(r.source()))
            .limit(limit)
            .toList();
    for (PendingRequest r : due) {
      for (PurposeId p : new TreeSet<>(r.purposes())) {
        Optional<Consent> pending =
            unit.subjects()
                .consent(r.subjectId(), p)
                .filter(
                    c ->
                        c.state() == org.optin4j.ConsentState.PENDING
                            && c.requestId().equals(r.id()));
        if (pending.isPresent()) {
          unit.subjects().saveConsent(pending.get().expire(now));
          HistoryHead head = unit.history().lock(r.subjectId());
          unit.history()
              .append(
                  sealer.seal(
                      new ConsentEvent(
                          0,
                          r.subjectId(),
                          p,
                          ConsentEvent.Type.EXPIRED,
                          now,
                          r.id(),
                          pending.get().notice(),
                          null,
                          org.optin4j.Channel.SYSTEM,
                          org.optin4j.Evidence.NONE,
                          null),
                      head),
                  head);
        }
      }
      unit.requests().updateRequest(r.withStatus(PendingRequest.Status.EXPIRED, now));
    }
    return due.size();
  }

  @Override
  public List<SubjectId> lapsedSignups(Instant before, SubjectId after, int limit) {
    unit.check();
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    return state.subjects.keySet().stream()
        .filter(id -> after == null || id.value().compareTo(after.value()) > 0)
        .filter(id -> isLapsedSignup(id, before))
        .sorted(Comparator.comparing(SubjectId::value))
        .limit(limit)
        .toList();
  }

  @Override
  public int deleteLapsedSignups(List<SubjectId> ids, Instant before) {
    unit.check();
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(before, "before");
    if (ids.size() > 1000) {
      throw new IllegalArgumentException("at most 1000 ids at once, were " + ids.size());
    }
    int deleted = 0;
    for (SubjectId id :
        ids.stream().distinct().sorted(Comparator.comparing(SubjectId::value)).toList()) {
      if (isLapsedSignup(id, before) && unit.subjects().eraseSubject(id, false)) {
        deleted++;
      }
    }
    return deleted;
  }

  /** Tells whether a subject is a lapsed signup before the cut-off, as {@link #lapsedSignups} defines it. */
  private boolean isLapsedSignup(SubjectId id, Instant before) {
    Subject subject = state.subjects.get(id);
    if (subject == null || !subject.createdAt().isBefore(before)) {
      return false;
    }
    Collection<Consent> consents =
        state.consentsBySubject.getOrDefault(id, new TreeMap<>()).values();
    if (consents.isEmpty()) {
      return false;
    }
    for (Consent c : consents) {
      if (c.confirmedAt() != null) {
        return false;
      }
      boolean lapsed =
          switch (c.state()) {
            case PENDING -> {
              PendingRequest r = state.requests.get(c.requestId());
              yield r != null
                  && r.subjectId().equals(id)
                  && r.status() == PendingRequest.Status.OPEN
                  && r.expiresAt().isBefore(before);
            }
            case WITHDRAWN, EXPIRED -> c.endedAt() != null && c.endedAt().isBefore(before);
            default -> false;
          };
      if (!lapsed) {
        return false;
      }
    }
    for (String requestId : state.requestIdsBySubject.getOrDefault(id, Set.of())) {
      PendingRequest r = state.requests.get(requestId);
      if (r.status() == PendingRequest.Status.OPEN && !r.expiresAt().isBefore(before)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int deleteUsedTokens(Instant expiredBefore, int limit) {
    unit.checkWrite();
    List<String> old =
        state.usedTokens.entrySet().stream()
            .filter(e -> e.getValue().isBefore(expiredBefore))
            .map(Map.Entry::getKey)
            .sorted()
            .limit(limit)
            .toList();
    for (String id : old) {
      unit.remove(state.usedTokens, id);
    }
    return old.size();
  }

  @Override
  public int deleteFinishedMails(Instant createdBefore, int limit) {
    unit.checkWrite();
    List<OutboxMail> old =
        state.mails.values().stream()
            .filter(
                m ->
                    m.status() == OutboxMail.Status.SENT
                        || m.status() == OutboxMail.Status.FAILED
                        || m.status() == OutboxMail.Status.SKIPPED)
            .filter(m -> m.createdAt().isBefore(createdBefore))
            .sorted(Comparator.comparing(OutboxMail::createdAt).thenComparing(OutboxMail::id))
            .limit(limit)
            .toList();
    for (OutboxMail m : old) {
      unit.outbox().deleteMail(m);
    }
    return old.size();
  }

  @Override
  public int deleteStaleAddressChanges(
      Instant unconfirmedExpiredBefore, Instant confirmedBefore, int limit) {
    unit.checkWrite();
    Objects.requireNonNull(unconfirmedExpiredBefore, "unconfirmedExpiredBefore");
    Objects.requireNonNull(confirmedBefore, "confirmedBefore");
    checkLimit(limit);
    List<String> stale =
        state.addressChanges.keySet().stream()
            .sorted()
            .filter(
                id -> {
                  PendingRequest r = state.requests.get(id);
                  return r != null
                      && (r.status() == PendingRequest.Status.CONFIRMED
                          ? r.closedAt() != null && r.closedAt().isBefore(confirmedBefore)
                          : r.expiresAt().isBefore(unconfirmedExpiredBefore));
                })
            .limit(limit)
            .toList();
    for (String id : stale) {
      unit.remove(state.addressChanges, id);
      unit.remove(state.replacedAddresses, id);
      PendingRequest r = state.requests.get(id);
      if (r.status() != PendingRequest.Status.CONFIRMED) {
        unit.remove(state.requests, id);
        Set<String> ids = state.requestIdsBySubject.get(r.subjectId());
        if (ids != null) {
          unit.remove(ids, id);
        }
      }
    }
    return stale.size();
  }

  @Override
  public int clearLapsedRequestEvidence(Instant expiredBefore, int limit) {
    unit.checkWrite();
    Objects.requireNonNull(expiredBefore, "expiredBefore");
    checkLimit(limit);
    List<PendingRequest> lapsed =
        state.requests.values().stream()
            .filter(
                r ->
                    r.status() != PendingRequest.Status.CONFIRMED
                        && r.expiresAt().isBefore(expiredBefore))
            .filter(r -> !r.evidence().equals(org.optin4j.Evidence.NONE))
            .sorted(Comparator.comparing(PendingRequest::id))
            .limit(limit)
            .toList();
    for (PendingRequest r : lapsed) {
      unit.put(
          state.requests,
          r.id(),
          new PendingRequest(
              r.id(),
              r.subjectId(),
              r.purposes(),
              r.notice(),
              r.source(),
              org.optin4j.Evidence.NONE,
              r.requestedAt(),
              r.expiresAt(),
              r.generation(),
              r.status(),
              r.closedAt()));
    }
    return lapsed.size();
  }
}
