package org.optin4j.memory;

import static org.optin4j.memory.MemoryUnit.checkLimit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.optin4j.Consent;
import org.optin4j.EmailAddress;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.SubjectStore;

/**
 * The in-memory SubjectStore: subjects, consents, erasure and the suppression list. Reads and writes the store's shared
 * state directly, under the store lock that every unit holds, and logs how to undo each write in its unit. One per unit
 * of work; not thread-safe.
 */
record MemorySubjects(MemoryUnit unit, MemoryState state) implements SubjectStore {
  @Override
  public Optional<Subject> subjectByEmail(EmailAddress email) {
    unit.check();
    Objects.requireNonNull(email, "email");
    SubjectId id = state.subjectIdsByEmail.get(email);
    return id == null ? Optional.empty() : Optional.of(state.subjects.get(id));
  }

  @Override
  public Optional<Subject> subject(SubjectId id) {
    return unit.find(state.subjects, id, "id");
  }

  @Override
  public void insertSubject(Subject subject) {
    unit.checkWrite();
    Objects.requireNonNull(subject, "subject");
    unit.requireAbsent(state.subjects, subject.id(), "subject id");
    unit.requireAbsent(state.subjectIdsByEmail, subject.email(), "subject email");
    unit.put(state.subjects, subject.id(), subject);
    unit.put(state.subjectIdsByEmail, subject.email(), subject.id());
  }

  @Override
  public void updateSubject(Subject subject) {
    Subject stored = unit.replacing(state.subjects, subject, "subject", Subject::id, "subject");
    if (!stored.email().equals(subject.email())) {
      unit.requireAbsent(state.subjectIdsByEmail, subject.email(), "subject email");
      unit.remove(state.subjectIdsByEmail, stored.email());
      unit.put(state.subjectIdsByEmail, subject.email(), subject.id());
    }
    unit.put(
        state.subjects,
        subject.id(),
        new Subject(stored.id(), subject.email(), stored.createdAt(), subject.addressGeneration()));
  }

  @Override
  public List<Subject> subjects(int offset, int limit) {
    unit.check();
    if (offset < 0 || limit < 1) {
      throw new IllegalArgumentException("offset must be 0 or more and limit 1 or more");
    }
    return state.subjects.values().stream()
        .sorted(
            Comparator.comparing(Subject::createdAt).reversed().thenComparing(s -> s.id().value()))
        .skip(offset)
        .limit(limit)
        .toList();
  }

  @Override
  public long countSubjects() {
    unit.check();
    return state.subjects.size();
  }

  @Override
  public List<SubjectId> subjects(
      Set<PurposeId> purposes, Set<org.optin4j.ConsentState> states, SubjectId after, int limit) {
    unit.check();
    Objects.requireNonNull(purposes, "purposes");
    Objects.requireNonNull(states, "states");
    checkLimit(limit);
    return state.subjects.keySet().stream()
        .filter(id -> after == null || id.value().compareTo(after.value()) > 0)
        .filter(
            id ->
                purposes.isEmpty()
                    || state.consentsBySubject.getOrDefault(id, new TreeMap<>()).values().stream()
                        .anyMatch(
                            c ->
                                purposes.contains(c.purpose())
                                    && (states.isEmpty() || states.contains(c.state()))))
        .sorted(Comparator.comparing(SubjectId::value))
        .limit(limit)
        .toList();
  }

  @Override
  public List<Consent> consents(SubjectId id) {
    unit.check();
    Objects.requireNonNull(id, "id");
    NavigableMap<PurposeId, Consent> byPurpose = state.consentsBySubject.get(id);
    return byPurpose == null ? List.of() : List.copyOf(byPurpose.values());
  }

  @Override
  public Optional<Consent> consent(SubjectId id, PurposeId purpose) {
    unit.check();
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(purpose, "purpose");
    NavigableMap<PurposeId, Consent> byPurpose = state.consentsBySubject.get(id);
    return byPurpose == null ? Optional.empty() : Optional.ofNullable(byPurpose.get(purpose));
  }

  @Override
  public void saveConsent(Consent consent) {
    unit.checkWrite();
    Objects.requireNonNull(consent, "consent");
    unit.requireSubject(consent.subjectId());
    NavigableMap<PurposeId, Consent> byPurpose =
        state.consentsBySubject.computeIfAbsent(consent.subjectId(), k -> new TreeMap<>());
    unit.put(byPurpose, consent.purpose(), consent);
  }

  @Override
  public boolean eraseSubject(SubjectId id, boolean keepHistoryStub) {
    unit.checkWrite();
    Objects.requireNonNull(id, "id");
    Subject subject = state.subjects.get(id);
    if (subject == null) {
      return false;
    }
    unit.remove(state.subjects, id);
    unit.remove(state.subjectIdsByEmail, subject.email());
    unit.remove(state.consentsBySubject, id);
    List<ConsentEvent> events = state.eventsBySubject.get(id);
    if (events != null && keepHistoryStub) {
      List<ConsentEvent> stub = new ArrayList<>();
      for (ConsentEvent e : events) {
        stub.add(e.deidentified());
      }
      unit.put(state.eventsBySubject, id, stub);
    } else if (!keepHistoryStub) {
      unit.remove(state.eventsBySubject, id);
      unit.remove(state.historyHeads, id.value());
    }
    for (String requestId : List.copyOf(state.requestIdsBySubject.getOrDefault(id, Set.of()))) {
      unit.remove(state.requests, requestId);
      unit.remove(state.addressChanges, requestId);
      unit.remove(state.replacedAddresses, requestId);
    }
    unit.remove(state.requestIdsBySubject, id);
    for (String mailId : List.copyOf(state.mailIdsBySubject.getOrDefault(id, List.of()))) {
      unit.outbox().deleteMail(state.mails.get(mailId));
    }
    unit.remove(state.mailIdsBySubject, id);
    return true;
  }

  @Override
  public void suppress(String addressKey, Instant at) {
    unit.checkWrite();
    Objects.requireNonNull(addressKey, "addressKey");
    Objects.requireNonNull(at, "at");
    if (!state.suppressed.containsKey(addressKey)) {
      unit.put(state.suppressed, addressKey, at);
    }
  }

  @Override
  public boolean isSuppressed(String addressKey) {
    unit.check();
    return state.suppressed.containsKey(Objects.requireNonNull(addressKey, "addressKey"));
  }

  @Override
  public void unsuppress(String addressKey) {
    unit.checkWrite();
    unit.remove(state.suppressed, Objects.requireNonNull(addressKey, "addressKey"));
  }
}
