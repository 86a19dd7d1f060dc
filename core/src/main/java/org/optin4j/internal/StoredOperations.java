package org.optin4j.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.operations.DispatchReport;
import org.optin4j.operations.Operations;
import org.optin4j.operations.OutboxStatus;
import org.optin4j.operations.PurgeReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OutboxMail;

/**
 * The implementation of {@link Operations} over the consent store; see there. Not API.
 */
public final class StoredOperations implements Operations {
  private final ServiceCore core;

  /** The store's last outbox count, so that a gauge scraped every few seconds does not count the outbox each time. */
  private volatile Counted counted;

  public StoredOperations(ServiceCore core) {
    this.core = core;
  }

  @Override
  public List<Subject> subjects(int offset, int limit) {
    if (offset < 0 || limit < 1 || limit > 1000) {
      throw new IllegalArgumentException(
          "offset must be 0 or more and limit 1 to 1000, were " + offset + ", " + limit);
    }
    return core.store().read(tx -> tx.subjects().subjects(offset, limit));
  }

  @Override
  public long countSubjects() {
    return core.store().read((ConsentStore.Transaction unit) -> unit.subjects().countSubjects());
  }

  @Override
  public java.util.Map<OutboxMail.Status, Long> outboxSummary() {
    return core.store().read((ConsentStore.Transaction unit) -> unit.outbox().countMailsByStatus());
  }

  @Override
  public OutboxStatus outboxStatus(Duration maxAge) {
    if (maxAge == null || maxAge.isNegative()) {
      throw new IllegalArgumentException("maxAge must be zero or more, was " + maxAge);
    }
    Counted c = counted;
    if (c == null || !c.at().plus(maxAge).isAfter(core.clock().instant())) {
      c = count(maxAge);
    }
    return core.dispatcher().status(c.backlog(), c.failed(), c.at());
  }

  /** Counts once for every caller that finds the count too old at the same time. */
  private synchronized Counted count(Duration maxAge) {
    Counted c = counted;
    Instant now = core.clock().instant();
    if (c == null || !c.at().plus(maxAge).isAfter(now)) {
      Map<OutboxMail.Status, Long> byStatus = outboxSummary();
      c =
          new Counted(
              byStatus.getOrDefault(OutboxMail.Status.QUEUED, 0L)
                  + byStatus.getOrDefault(OutboxMail.Status.CLAIMED, 0L),
              byStatus.getOrDefault(OutboxMail.Status.FAILED, 0L),
              now);
      counted = c;
    }
    return c;
  }

  private record Counted(long backlog, long failed, Instant at) {}

  @Override
  public List<OutboxMail> mails(SubjectId id) {
    return core.store().read(tx -> tx.outbox().mails(id));
  }

  @Override
  public PurgeReport purge() {
    return core.purger().run();
  }

  @Override
  public DispatchReport dispatchNow() {
    return core.dispatcher().drain();
  }
}
