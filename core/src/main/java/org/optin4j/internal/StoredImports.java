package org.optin4j.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongConsumer;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportReport;
import org.optin4j.lists.ImportSource;
import org.optin4j.lists.Imports;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.TransactionConflictException;

/**
 * The implementation of {@link Imports} over the consent store; see there and {@code docs/import.md}, whose merge table
 * {@link #decide} is. Not API. Thread-safe: each run keeps its state on its own stack.
 */
public final class StoredImports implements Imports {
  /** The source of imported requests, so that re-permission (and operators) can find them. */
  public static final String IMPORT_SOURCE_PREFIX = "optin4j:import ";

  private final ServiceCore core;

  public StoredImports(ServiceCore core) {
    this.core = core;
  }

  @Override
  public ImportReport run(ImportSource source, Path file, LongConsumer progress) {
    return importFile(source, file, progress, false);
  }

  @Override
  public ImportReport dryRun(ImportSource source, Path file) {
    return importFile(source, file, null, true);
  }

  @Override
  public org.optin4j.lists.RepermissionReport repermission() {
    return new Repermission(core).run(true);
  }

  @Override
  public org.optin4j.lists.RepermissionReport repermissionProgress() {
    return new Repermission(core).run(false);
  }

  /** What happened to one entry. */
  enum Decision {
    /** A consent for the purpose is created as the row says. */
    CREATE,
    /** The pending or lapsed consent is confirmed with the row's proof. */
    CONFIRM,
    /** The consent is withdrawn at the row's time. */
    WITHDRAW,
    /** The consent is marked undeliverable at the row's time. */
    MARK_UNDELIVERABLE,
    /** The store already says what the row says. */
    UNCHANGED,
    /** What the store holds wins over the row. */
    KEEP
  }

  /**
   * The merge rule (docs/import.md has it as a table): never downgrade proof the library holds; a withdrawal or an
   * undeliverable mark wins unless the library holds a request or confirmation made after it.
   *
   * @param c the consent the library holds, or {@code null}
   * @param marked whether {@code c} carries the undeliverable mark
   * @param e the row's entry
   * @param rowEnd the entry's end time (its own, or the import's time if the row has none)
   */
  static Decision decide(Consent c, boolean marked, ImportRows.Entry e, Instant rowEnd) {
    if (c == null || c.state() == ConsentState.ERASED) {
      return Decision.CREATE;
    }
    ConsentState s = c.state();
    return switch (e.kind()) {
      case PROVEN ->
          switch (s) {
            case CONFIRMED ->
                c.confirmedAt().equals(e.confirmedAt()) ? Decision.UNCHANGED : Decision.KEEP;
            case PENDING -> Decision.CONFIRM;
            case EXPIRED ->
                !marked && e.confirmedAt().isAfter(c.endedAt()) ? Decision.CONFIRM : Decision.KEEP;
            default -> Decision.KEEP;
          };
      case UNPROVEN -> s == ConsentState.PENDING ? Decision.UNCHANGED : Decision.KEEP;
      case WITHDRAWN ->
          switch (s) {
            case WITHDRAWN -> Decision.UNCHANGED;
            case PENDING -> c.requestedAt().isAfter(rowEnd) ? Decision.KEEP : Decision.WITHDRAW;
            case CONFIRMED ->
                c.confirmedAt().isAfter(rowEnd) || c.requestedAt().isAfter(rowEnd)
                    ? Decision.KEEP
                    : Decision.WITHDRAW;
            default -> Decision.KEEP;
          };
      case UNDELIVERABLE -> {
        if (marked) {
          yield Decision.UNCHANGED;
        }
        yield UndeliverableMark.applies(c, rowEnd) ? Decision.MARK_UNDELIVERABLE : Decision.KEEP;
      }
    };
  }

  private ImportReport importFile(
      ImportSource source, Path file, LongConsumer progress, boolean dryRun) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(file, "file");
    Set<PurposeId> purposes = new LinkedHashSet<>(source.purposes());
    purposes.addAll(source.lists().values());
    for (PurposeId p : purposes) {
      core.catalog().require(p);
    }
    String sha256 = sha256(file);
    String fileName = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    Instant started = core.clock().instant();
    Locale locale = core.catalog().resolve(source.locale().orElse(core.catalog().defaultLocale()));
    Map<PurposeId, Consent.NoticeRef> notices = new HashMap<>();
    if (!dryRun) {
      // One notice per purpose, stored before any row refers to it (a rolled-back page must not
      // take it along).
      core.write(
          tx -> {
            for (PurposeId p : purposes) {
              notices.put(p, core.saveNotice(tx, core.render(Set.of(p), locale)).ref());
            }
          });
    }
    Run run = new Run(source, fileName, sha256, notices, dryRun);
    try (InputStream in = Files.newInputStream(file);
        BufferedReader reader =
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
      ImportRows rows = new ImportRows(source, reader, started);
      List<ImportRows.Row> page = new ArrayList<>(PAGE_ROWS);
      for (ImportRows.Row row = rows.next(); row != null; row = rows.next()) {
        run.rows++;
        if (row.invalid() != null) {
          run.invalid(row.line(), row.invalid());
        } else if (row.entries().isEmpty()) {
          run.ignored++;
        } else {
          page.add(row);
          if (page.size() == PAGE_ROWS) {
            run.page(page);
            page.clear();
            if (progress != null) {
              progress.accept(run.rows);
            }
          }
        }
      }
      if (!page.isEmpty()) {
        run.page(page);
      }
      if (progress != null) {
        progress.accept(run.rows);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + fileName, e);
    }
    // ConsentListeners are not told of imported changes (a million rows would be a million calls in
    // one process);
    // the feed has every imported event (docs/import.md).
    return run.report();
  }

  /** One import's counts and the units of work of its pages. */
  private final class Run {
    final ImportSource source;
    final String fileName;
    final String sha256;
    final Map<PurposeId, Consent.NoticeRef> notices;
    final boolean dryRun;
    long rows;
    long ignored;
    long invalidCount;
    final List<ImportReport.InvalidRow> invalid = new ArrayList<>();
    final EnumMap<ImportClass, Long> classes = new EnumMap<>(ImportClass.class);
    final EnumMap<Decision, Long> decisions = new EnumMap<>(Decision.class);
    long suppressed;

    Run(
        ImportSource source,
        String fileName,
        String sha256,
        Map<PurposeId, Consent.NoticeRef> notices,
        boolean dryRun) {
      this.source = source;
      this.fileName = fileName;
      this.sha256 = sha256;
      this.notices = notices;
      this.dryRun = dryRun;
    }

    void invalid(long line, String reason) {
      invalidCount++;
      if (invalid.size() < ImportReport.MAX_INVALID_LISTED) {
        invalid.add(new ImportReport.InvalidRow(line, reason));
      }
    }

    /** Imports one page in one unit of work, run again after a conflict with a concurrent unit (nothing was kept). */
    void page(List<ImportRows.Row> page) {
      PageCounts counts;
      if (dryRun) {
        counts = core.store().read(tx -> apply(tx, page));
      } else {
        int attempts = core.store().joinsCallerTransaction() ? 1 : 3;
        for (int attempt = 1; ; attempt++) {
          try {
            counts = core.store().inTransaction(tx -> apply(tx, page));
            break;
          } catch (DuplicateKeyException
              | TransactionConflictException
              | ServiceCore.SubjectGone e) {
            if (attempt == attempts) {
              throw e;
            }
          }
        }
      }
      counts.classes.forEach((k, v) -> classes.merge(k, v, Long::sum));
      counts.decisions.forEach((k, v) -> decisions.merge(k, v, Long::sum));
      suppressed += counts.suppressed;
    }

    PageCounts apply(ConsentStore.Transaction tx, List<ImportRows.Row> page) {
      PageCounts counts = new PageCounts();
      Instant now = core.clock().instant();
      for (ImportRows.Row row : page) {
        for (ImportRows.Entry e : row.entries()) {
          counts.classes.merge(e.kind(), 1L, Long::sum);
        }
        Optional<Subject> found = tx.subjects().subjectByEmail(row.email());
        if (found.isEmpty() && tx.subjects().isSuppressed(core.addressKey(row.email()))) {
          // An erased address comes back only through a fresh double opt-in (GDPR Art. 17).
          counts.suppressed += row.entries().size();
          continue;
        }
        Subject subject;
        Map<PurposeId, Consent> held = new HashMap<>();
        List<ConsentEvent> history = List.of();
        if (found.isPresent()) {
          subject = found.get();
          if (!dryRun) {
            tx.history().lock(subject.id());
            if (tx.subjects().subject(subject.id()).isEmpty()) {
              throw new ServiceCore
                  .SubjectGone(); // purged between the lookup and the lock: run the page again
            }
          }
          for (Consent c : tx.subjects().consents(subject.id())) {
            held.put(c.purpose(), c);
          }
          if (held.values().stream().anyMatch(c -> c.state() == ConsentState.EXPIRED)) {
            history = tx.history().events(subject.id());
          }
        } else {
          subject = new Subject(SubjectId.random(core.random()), row.email(), now);
          if (!dryRun) {
            tx.subjects().insertSubject(subject);
            tx.history().lock(subject.id());
          }
        }
        String evidenceSource =
            IMPORT_SOURCE_PREFIX
                + source.label()
                + " "
                + fileName
                + " sha256="
                + sha256
                + " line="
                + row.line();
        for (ImportRows.Entry e : row.entries()) {
          Consent c = held.get(e.purpose());
          boolean marked = c != null && UndeliverableMark.isMarked(c, history);
          Instant end = e.endedAt() == null ? now : e.endedAt();
          Decision d = decide(c, marked, e, end);
          counts.decisions.merge(d, 1L, Long::sum);
          if (!dryRun) {
            write(tx, subject.id(), c, e, d, end, now, evidenceSource);
          }
        }
      }
      return counts;
    }

    private void write(
        ConsentStore.Transaction tx,
        SubjectId subject,
        Consent held,
        ImportRows.Entry e,
        Decision d,
        Instant end,
        Instant now,
        String evidenceSource) {
      switch (d) {
        case CREATE -> create(tx, subject, e, end, now, evidenceSource);
        case CONFIRM -> create(tx, subject, e, end, now, evidenceSource);
        case WITHDRAW -> {
          tx.subjects().saveConsent(held.withdraw(end));
          append(tx, held, ConsentEvent.Type.WITHDRAWN, end, Evidence.NONE, evidenceSource);
        }
        case MARK_UNDELIVERABLE ->
            UndeliverableMark.mark(tx, held, end, Channel.IMPORT, evidenceSource);
        case UNCHANGED, KEEP -> {}
      }
    }

    /** Records an entry as a new request with its events at their original times, and the consent it leads to. */
    private void create(
        ConsentStore.Transaction tx,
        SubjectId subject,
        ImportRows.Entry e,
        Instant end,
        Instant now,
        String evidenceSource) {
      Purpose purpose = core.catalog().require(e.purpose());
      Consent.NoticeRef notice = notices.get(e.purpose());
      String requestId = core.randomId();
      Instant requested =
          e.requestedAt() != null
              ? e.requestedAt()
              : (e.kind() == ImportClass.UNPROVEN ? now : end);
      if (e.kind() != ImportClass.PROVEN
          && e.kind() != ImportClass.UNPROVEN
          && requested.isAfter(end)) {
        requested = end;
      }
      Instant confirmed = e.confirmedAt();
      if (confirmed != null && confirmed.isAfter(end) && e.kind() != ImportClass.PROVEN) {
        confirmed =
            null; // a confirmation after the end says nothing about the withdrawn or bounced
        // consent
      }
      Evidence requestEvidence = core.evidencePolicy().apply(e.requestEvidence());
      Consent pending = Consent.pending(subject, purpose, requestId, notice, requested);
      PendingRequest.Status status;
      Instant closed;
      Instant expires;
      if (e.kind() == ImportClass.UNPROVEN) {
        // Held open for re-permission; the retention job expires it after the hold
        // (docs/import.md).
        status = PendingRequest.Status.OPEN;
        closed = null;
        expires = now.plus(source.unprovenHold());
      } else {
        status =
            confirmed != null ? PendingRequest.Status.CONFIRMED : PendingRequest.Status.EXPIRED;
        closed = confirmed != null ? confirmed : end;
        expires = closed;
      }
      tx.requests()
          .insertRequest(
              new PendingRequest(
                  requestId,
                  subject,
                  Set.of(e.purpose()),
                  notice,
                  evidenceSource,
                  requestEvidence,
                  requested,
                  expires,
                  1,
                  status,
                  closed));
      append(tx, pending, ConsentEvent.Type.REQUESTED, requested, requestEvidence, evidenceSource);
      Consent c = pending;
      if (confirmed != null) {
        c = c.confirm(confirmed);
        append(
            tx,
            c,
            ConsentEvent.Type.CONFIRMED,
            confirmed,
            core.evidencePolicy().apply(e.confirmEvidence()),
            evidenceSource);
      }
      switch (e.kind()) {
        case WITHDRAWN -> {
          c = c.withdraw(end);
          append(tx, c, ConsentEvent.Type.WITHDRAWN, end, Evidence.NONE, evidenceSource);
          tx.subjects().saveConsent(c);
        }
        case UNDELIVERABLE -> {
          tx.subjects().saveConsent(c);
          UndeliverableMark.mark(tx, c, end, Channel.IMPORT, evidenceSource);
        }
        default -> tx.subjects().saveConsent(c);
      }
    }

    private void append(
        ConsentStore.Transaction tx,
        Consent c,
        ConsentEvent.Type type,
        Instant at,
        Evidence evidence,
        String evidenceSource) {
      HistoryChain.append(
          tx,
          new ConsentEvent(
              0,
              c.subjectId(),
              c.purpose(),
              type,
              at,
              c.requestId(),
              c.notice(),
              evidenceSource,
              Channel.IMPORT,
              evidence,
              null));
    }

    ImportReport report() {
      return new ImportReport(
          fileName,
          sha256,
          dryRun,
          rows,
          classes,
          decisions.getOrDefault(Decision.CREATE, 0L)
              + decisions.getOrDefault(Decision.CONFIRM, 0L)
              + decisions.getOrDefault(Decision.WITHDRAW, 0L)
              + decisions.getOrDefault(Decision.MARK_UNDELIVERABLE, 0L),
          decisions.getOrDefault(Decision.UNCHANGED, 0L),
          decisions.getOrDefault(Decision.KEEP, 0L),
          suppressed,
          ignored,
          invalidCount,
          invalid);
    }
  }

  /** The counts of one page, added to the run's once its unit committed. */
  private static final class PageCounts {
    final EnumMap<ImportClass, Long> classes = new EnumMap<>(ImportClass.class);
    final EnumMap<Decision, Long> decisions = new EnumMap<>(Decision.class);
    long suppressed;
  }

  private static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n = in.read(buffer); n != -1; n = in.read(buffer)) {
        md.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
