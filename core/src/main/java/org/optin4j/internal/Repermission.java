package org.optin4j.internal;

import static org.optin4j.internal.ServiceCore.enqueueOrThrottle;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.lists.RepermissionReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * Re-permission of unproven imported subscribers ({@link org.optin4j.lists.Imports#repermission}): mails each open
 * imported request once and counts where they stand.
 *
 * <p>Whether a request was mailed is kept in the request itself: an import leaves it at generation 1 with no mail,
 * and mailing it moves it to generation 2 (the link's generation, as a resend does). So the mark lasts as long as the
 * request, unlike the outbox row, which the purge job deletes after {@code outboxRetention}; and the request keeps its
 * deadline (the import's hold), so asking does not prolong holding unproven data. Stateless apart from the core;
 * thread-safe.
 */
final class Repermission {
  private final ServiceCore core;

  Repermission(ServiceCore core) {
    this.core = core;
  }

  private enum Outcome {
    MAILED,
    THROTTLED,
    NOTHING
  }

  RepermissionReport run(boolean mail) {
    Set<PurposeId> purposes =
        core.catalog().purposes().stream().map(Purpose::id).collect(Collectors.toSet());
    int throttled = 0;
    if (mail) {
      for (List<SubjectId> page :
          KeysetPages.subjects(core.store(), purposes, Set.of(ConsentState.PENDING))) {
        for (SubjectId id : page) {
          Outcome o =
              core.inTransactionOr(
                  tx -> mailOpenImports(tx, id), ServiceCore.CapRace.class, Outcome.THROTTLED);
          if (o == Outcome.THROTTLED) {
            throttled++;
          }
        }
      }
      core.dispatcher().wake();
    }
    int[] n = new int[4]; // unproven, mailed, confirmed, lapsed
    Instant now = core.clock().instant();
    for (List<SubjectId> page : KeysetPages.subjects(core.store(), purposes, Set.of())) {
      core.store()
          .read(
              tx -> {
                for (SubjectId id : page) {
                  count(tx, id, now, n);
                }
                return null;
              });
    }
    return new RepermissionReport(n[0], n[1], n[2], n[3], throttled);
  }

  static boolean imported(PendingRequest r) {
    return r.source() != null && r.source().startsWith(StoredImports.IMPORT_SOURCE_PREFIX);
  }

  /** Mails the subject's open imported requests that were never mailed, each through the cap. */
  private Outcome mailOpenImports(ConsentStore.Transaction tx, SubjectId id) {
    Optional<Subject> subject = tx.subjects().subject(id);
    if (subject.isEmpty()) {
      return Outcome.NOTHING;
    }
    tx.history().lock(id);
    Instant now = core.clock().instant();
    Outcome outcome = Outcome.NOTHING;
    for (PendingRequest r : tx.requests().openRequests(id)) {
      if (!imported(r) || r.generation() != 1 || !r.expiresAt().isAfter(now)) {
        continue;
      }
      List<PurposeId> pending = new ArrayList<>();
      for (Consent c : tx.subjects().consents(id)) {
        if (c.state() == ConsentState.PENDING
            && c.requestId().equals(r.id())
            && r.purposes().contains(c.purpose())) {
          pending.add(c.purpose());
        }
      }
      if (pending.isEmpty()) {
        continue;
      }
      ConfirmationMailCap.Slot slot =
          core.confirmationMailCap().slotFor(tx, subject.get().email(), now);
      if (slot instanceof ConfirmationMailCap.Slot.Full) {
        // What this unit mailed before stays; the rest waits for a later call.
        return Outcome.THROTTLED;
      }
      PendingRequest next = r.nextGeneration(r.expiresAt());
      tx.requests().updateRequest(next);
      enqueueOrThrottle(
          tx,
          OutboxMail.queued(
              core.randomId(),
              MailKind.CONFIRMATION,
              id,
              subject.get().email(),
              r.id(),
              next.generation(),
              r.locale(),
              pending,
              slot.dedupeKey(),
              now));
      outcome = Outcome.MAILED;
    }
    return outcome;
  }

  /** Counts the subject's imported requests into unproven, mailed, confirmed, lapsed. */
  private static void count(ConsentStore.Transaction tx, SubjectId id, Instant now, int[] n) {
    Set<String> seen = new HashSet<>();
    for (Consent c : tx.subjects().consents(id)) {
      if (!seen.add(c.requestId())) {
        continue;
      }
      Optional<PendingRequest> found = tx.requests().findRequest(c.requestId());
      if (found.isEmpty() || !imported(found.get())) {
        continue;
      }
      PendingRequest r = found.get();
      boolean open = r.status() == PendingRequest.Status.OPEN && r.expiresAt().isAfter(now);
      boolean mailed = r.generation() > 1;
      if (open) {
        n[0]++;
      }
      if (mailed) {
        n[1]++;
        if (r.status() == PendingRequest.Status.CONFIRMED) {
          n[2]++;
        } else if (r.status() == PendingRequest.Status.EXPIRED
            || r.status() == PendingRequest.Status.OPEN && !open) {
          n[3]++;
        }
      }
    }
  }
}
