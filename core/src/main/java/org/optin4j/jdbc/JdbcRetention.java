package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.bindAll;
import static org.optin4j.jdbc.JdbcTransaction.checkLimit;
import static org.optin4j.jdbc.JdbcTransaction.instantAndLimit;
import static org.optin4j.jdbc.JdbcTransaction.setInstant;

import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ChainSealer;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.LapsedSignupPage;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.RetentionStore;

/**
 * The JDBC RetentionStore: set-based purge and expiry operations. Runs its statements on its unit's connection through
 * the unit's helpers, which doom the unit on the first failure. One per unit of work, used only by the thread that runs
 * it; not thread-safe.
 */
record JdbcRetention(JdbcTransaction tx, Connection c, Statements sql) implements RetentionStore {
  @Override
  public int deleteStaleAddressChanges(
      Instant unconfirmedExpiredBefore, Instant confirmedBefore, int limit) {
    Objects.requireNonNull(unconfirmedExpiredBefore, "unconfirmedExpiredBefore");
    Objects.requireNonNull(confirmedBefore, "confirmedBefore");
    checkLimit(limit);
    List<String[]> stale =
        tx.query(
            "find stale address changes",
            sql.staleAddressChanges,
            ps -> {
              ps.setLong(1, unconfirmedExpiredBefore.toEpochMilli());
              ps.setLong(2, confirmedBefore.toEpochMilli());
              ps.setInt(3, limit);
            },
            rs -> new String[] {rs.getString(1), rs.getString(2)});
    if (stale.isEmpty()) {
      return 0;
    }
    List<String> all = stale.stream().map(r -> r[0]).toList();
    List<String> unconfirmed =
        stale.stream().filter(r -> !"CONFIRMED".equals(r[1])).map(r -> r[0]).toList();
    int deleted =
        tx.update(
            "delete stale address changes",
            sql.deleteAddressChanges(all.size()),
            ps -> bindAll(ps, 1, all));
    if (!unconfirmed.isEmpty()) {
      tx.update(
          "delete unconfirmed address-change requests",
          sql.deleteUnconfirmedRequests(unconfirmed.size()),
          ps -> bindAll(ps, 1, unconfirmed));
    }
    return deleted;
  }

  @Override
  public int clearLapsedRequestEvidence(Instant expiredBefore, int limit) {
    List<String> ids =
        tx.query(
            "find lapsed requests with evidence",
            sql.lapsedRequestsWithEvidence,
            cutOffAndLimit(expiredBefore, "expiredBefore", limit),
            rs -> rs.getString(1));
    return ids.isEmpty()
        ? 0
        : tx.update(
            "clear the evidence of lapsed requests",
            sql.clearRequestEvidence(ids.size()),
            ps -> bindAll(ps, 1, ids));
  }

  @Override
  public List<PendingRequest> openRequestsExpiredBefore(Instant before, int limit) {
    return List.copyOf(
        tx.query(
            "find expired requests",
            sql.openRequestsExpiredBefore,
            cutOffAndLimit(before, "before", limit),
            JdbcRequests::request));
  }

  @Override
  public List<Consent> confirmedBefore(PurposeId purpose, Instant confirmedBefore, int limit) {
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(confirmedBefore, "confirmedBefore");
    checkLimit(limit);
    return List.copyOf(
        tx.query(
            "find consents past retention",
            sql.confirmedBefore,
            ps -> {
              ps.setString(1, purpose.value());
              ps.setLong(2, confirmedBefore.toEpochMilli());
              ps.setInt(3, limit);
            },
            JdbcSubjects::consent));
  }

  @Override
  public List<SubjectId> dormantSubjects(Instant before, int limit) {
    return tx.subjectIds(
        "find dormant subjects", sql.dormantSubjects, cutOffAndLimit(before, "before", limit));
  }

  @Override
  public int expireOpenRequests(Instant expiredBefore, Instant now, int limit, ChainSealer sealer) {
    tx.checkWritable();
    Objects.requireNonNull(expiredBefore, "expiredBefore");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(sealer, "sealer");
    checkLimit(limit);
    if (limit == 0) {
      return 0;
    }
    withoutJit();
    List<PendingRequest> candidates =
        tx.query(
            "find expired requests",
            sql.expirableRequests,
            ps -> {
              ps.setLong(1, expiredBefore.toEpochMilli());
              ps.setString(2, PendingRequest.RECONSENT_SOURCE);
              ps.setInt(3, limit);
            },
            JdbcRequests::request);
    if (candidates.isEmpty()) {
      return 0;
    }
    // Lock order of every unit: history heads (skipping those another unit holds), then requests,
    // then consents.
    List<String> subjectIds =
        candidates.stream().map(r -> r.subjectId().value()).distinct().sorted().toList();
    java.util.Map<String, HistoryHead> heads = tx.lockHeads(subjectIds);
    List<String> requestIds =
        candidates.stream()
            .filter(r -> heads.containsKey(r.subjectId().value()))
            .map(PendingRequest::id)
            .sorted()
            .toList();
    if (requestIds.isEmpty()) {
      return 0;
    }
    String lockRequests = sql.lockExpirableRequests(requestIds.size());
    List<PendingRequest> locked =
        tx.query(
            "lock expired requests",
            lockRequests,
            ps -> {
              ps.setLong(1, expiredBefore.toEpochMilli());
              bindAll(ps, 2, requestIds);
            },
            JdbcRequests::request);
    locked.removeIf(
        r ->
            PendingRequest.RECONSENT_SOURCE.equals(r.source())
                || !heads.containsKey(r.subjectId().value()));
    if (locked.isEmpty()) {
      return 0;
    }
    locked.sort(
        Comparator.comparing((PendingRequest r) -> r.subjectId().value())
            .thenComparing(PendingRequest::expiresAt)
            .thenComparing(PendingRequest::id));
    List<String> owners = locked.stream().map(r -> r.subjectId().value()).distinct().toList();
    List<Consent> pending =
        tx.query(
            "lock pending consents",
            sql.lockPendingConsents(owners.size()),
            ps -> bindAll(ps, 1, owners),
            JdbcSubjects::consent);
    java.util.Map<String, List<Consent>> pendingByRequest =
        pending.stream().collect(Collectors.groupingBy(Consent::requestId));
    // A consent pending for a request but for a purpose the request does not name (not made by this
    // library) would be
    // expired by the set-based update, but not by the retention job's per-item path: leave such a
    // request to that.
    locked.removeIf(
        r ->
            pendingByRequest.getOrDefault(r.id(), List.of()).stream()
                .anyMatch(
                    k ->
                        !k.subjectId().equals(r.subjectId())
                            || !r.purposes().contains(k.purpose())));
    if (locked.isEmpty()) {
      return 0;
    }
    List<ConsentEvent> events = new ArrayList<>();
    java.util.Map<String, HistoryHead> moved = new java.util.LinkedHashMap<>();
    for (PendingRequest r : locked) {
      List<Consent> ofRequest = new ArrayList<>(pendingByRequest.getOrDefault(r.id(), List.of()));
      ofRequest.sort(Comparator.comparing(Consent::purpose));
      for (Consent k : ofRequest) {
        HistoryHead head =
            moved.getOrDefault(r.subjectId().value(), heads.get(r.subjectId().value()));
        ConsentEvent event =
            sealer.seal(
                new ConsentEvent(
                    0,
                    r.subjectId(),
                    k.purpose(),
                    ConsentEvent.Type.EXPIRED,
                    now,
                    r.id(),
                    k.notice(),
                    null,
                    Channel.SYSTEM,
                    Evidence.NONE,
                    null),
                head);
        events.add(event);
        moved.put(r.subjectId().value(), head.advance(event));
      }
    }
    List<String> expiring = locked.stream().map(PendingRequest::id).toList();
    if (!events.isEmpty()) {
      List<String> subjects = locked.stream().map(r -> r.subjectId().value()).distinct().toList();
      int expired =
          tx.update(
              "expire consents",
              sql.expirePendingConsents(subjects.size(), expiring.size()),
              ps -> {
                // As Consent.expire(now): ended now, no longer restricted.
                setInstant(ps, 1, now);
                ps.setBoolean(2, false);
                bindAll(ps, 3, subjects);
                bindAll(ps, 3 + subjects.size(), expiring);
              });
      if (expired != events.size()) {
        throw tx.failed(
            new StoreException("expired " + expired + " consents, expected " + events.size()));
      }
      // Chunks of at most 1,000 rows: 18 parameters each stay below every driver's limit.
      for (int from = 0; from < events.size(); from += 1000) {
        List<ConsentEvent> chunk = events.subList(from, Math.min(events.size(), from + 1000));
        tx.update(
            "append events",
            sql.insertEvents(chunk.size()),
            ps -> {
              for (int i = 0; i < chunk.size(); i++) {
                JdbcHistory.bindEvent(ps, i * 18, chunk.get(i));
              }
            });
      }
      List<HistoryHead> ends = List.copyOf(moved.values());
      tx.update(
          "move history heads",
          sql.moveHeads(ends.size()),
          ps -> {
            for (int i = 0; i < ends.size(); i++) {
              JdbcTransaction.bindHead(ps, i * 3, ends.get(i));
            }
          });
      ends.forEach(h -> tx.lockedHeads.put(h.subjectId(), h));
    }
    int closed =
        tx.update(
            "expire requests",
            sql.expireRequests(expiring.size()),
            ps -> {
              setInstant(ps, 1, now);
              bindAll(ps, 2, expiring);
            });
    if (closed != expiring.size()) {
      throw tx.failed(
          new StoreException("expired " + closed + " requests, expected " + expiring.size()));
    }
    return locked.size();
  }

  @Override
  public List<SubjectId> lapsedSignups(Instant before, SubjectId after, int limit) {
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    long cutoff = before.toEpochMilli();
    withoutJit();
    return tx.subjectIds(
        "find lapsed signups",
        after == null ? sql.lapsedSignupsFirst : sql.lapsedSignupsAfter,
        ps -> {
          int i = 1;
          if (after != null) {
            ps.setString(i++, after.value());
          }
          for (int k = 0; k < 4; k++) {
            ps.setLong(i++, cutoff);
          }
          ps.setInt(i, limit);
        });
  }

  @Override
  public int deleteLapsedSignups(List<SubjectId> ids, Instant before) {
    tx.checkWritable();
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(before, "before");
    if (ids.size() > 1000) {
      throw new IllegalArgumentException("at most 1000 ids at once, were " + ids.size());
    }
    List<String> candidates = ids.stream().map(SubjectId::value).distinct().sorted().toList();
    if (candidates.isEmpty()) {
      return 0;
    }
    withoutJit();
    // Lock order of every unit: the history heads, then the subject rows; skip what another unit
    // holds. A subject
    // with a head another unit holds is left alone; one without a head is guarded by its subject
    // row alone (every
    // unit that changes a subject's consents takes its head first, creating it).
    java.util.Set<String> withHead =
        new java.util.HashSet<>(
            tx.query(
                "read history heads",
                sql.headsAmong(candidates.size()),
                ps -> bindAll(ps, 1, candidates),
                rs -> rs.getString(1)));
    java.util.Set<String> headLocked = new java.util.HashSet<>();
    List<String> headsToLock = candidates.stream().filter(withHead::contains).toList();
    if (!headsToLock.isEmpty()) {
      headLocked.addAll(
          tx.query(
              "lock history heads",
              sql.lockHeadsSkipLocked(headsToLock.size()),
              ps -> bindAll(ps, 1, headsToLock),
              rs -> rs.getString(1)));
    }
    List<String> free =
        candidates.stream()
            .filter(id -> !withHead.contains(id) || headLocked.contains(id))
            .toList();
    return deleteIfLapsed(free, before.toEpochMilli());
  }

  @Override
  public LapsedSignupPage deleteLapsedSignupPage(Instant before, SubjectId after, int limit) {
    if (sql.lapsedCandidatesFirst == null) {
      return RetentionStore.super.deleteLapsedSignupPage(before, after, limit);
    }
    tx.checkWritable();
    Objects.requireNonNull(before, "before");
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be between 1 and 1000, was " + limit);
    }
    long cutoff = before.toEpochMilli();
    withoutJit();
    // Candidates and their heads' locks in one statement; the lapsed condition is evaluated once,
    // below, as the subject rows are locked (issue 17: the listing pass cost as much as the check).
    List<String[]> page =
        tx.query(
            "find and lock lapsed-signup candidates",
            after == null ? sql.lapsedCandidatesFirst : sql.lapsedCandidatesAfter,
            ps -> {
              int i = 1;
              if (after != null) {
                ps.setString(i++, after.value());
              }
              ps.setLong(i++, cutoff);
              ps.setInt(i, limit);
            },
            rs ->
                new String[] {
                  rs.getString(1), !rs.getBoolean(2) || rs.getBoolean(3) ? "free" : "held"
                });
    if (page.isEmpty()) {
      return new LapsedSignupPage(0, null);
    }
    List<String> free =
        page.stream().filter(r -> r[1].equals("free")).map(r -> r[0]).sorted().toList();
    int deleted = deleteIfLapsed(free, cutoff);
    return new LapsedSignupPage(
        deleted, page.size() < limit ? null : new SubjectId(page.get(page.size() - 1)[0]));
  }

  /**
   * Deletes those of the given subjects, whose history heads (if they have one) this unit holds, that are lapsed
   * signups: checked as their rows are locked, with the heads held, since a signup may have come back since they were
   * listed.
   */
  private int deleteIfLapsed(List<String> free, long cutoff) {
    if (free.isEmpty()) {
      return 0;
    }
    List<String> lapsed =
        tx.query(
            "lock lapsed signups",
            sql.lockLapsedSkipLocked(free.size()),
            ps -> {
              for (int k = 1; k <= 4; k++) {
                ps.setLong(k, cutoff);
              }
              bindAll(ps, 5, free);
            },
            rs -> rs.getString(1));
    if (lapsed.isEmpty()) {
      return 0;
    }
    List<String> doomed = lapsed.stream().sorted().toList();
    int deleted = 0;
    for (String statement : sql.eraseSubjects(doomed.size())) {
      // The last statement deletes the subject rows.
      deleted = tx.update("delete lapsed signups", statement, ps -> bindAll(ps, 1, doomed));
    }
    doomed.forEach(id -> tx.lockedHeads.remove(new SubjectId(id)));
    return deleted;
  }

  /** Keeps the rest of this unit's statements from being JIT-compiled, where the database would (see Statements). */
  private void withoutJit() {
    if (sql.planWithoutJit == null) {
      return;
    }
    tx.checkOpen();
    try (java.sql.Statement st = c.createStatement()) {
      st.execute(sql.planWithoutJit);
    } catch (java.sql.SQLException e) {
      throw tx.failed(SqlErrors.wrap("plan without JIT", e));
    }
  }

  @Override
  public int deleteUsedTokens(Instant expiredBefore, int limit) {
    return tx.update(
        "purge used tokens",
        sql.deleteUsedTokens,
        cutOffAndLimit(expiredBefore, "expiredBefore", limit));
  }

  @Override
  public int deleteFinishedMails(Instant createdBefore, int limit) {
    return tx.update(
        "purge finished mails",
        sql.deleteFinishedMails,
        cutOffAndLimit(createdBefore, "createdBefore", limit));
  }

  /**
   * Checks a cut-off ({@code name} names a missing one) and a row limit, and binds them as the set-based queries and
   * purges take them.
   */
  private static JdbcTransaction.Binder cutOffAndLimit(Instant cutOff, String name, int limit) {
    Objects.requireNonNull(cutOff, name);
    checkLimit(limit);
    return instantAndLimit(cutOff, limit);
  }
}
