package org.optin4j.internal;

import java.util.List;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.operations.DispatchReport;
import org.optin4j.operations.Operations;
import org.optin4j.operations.PurgeReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OutboxMail;

/**
 * The implementation of {@link Operations} over the consent store; see there. Not API.
 */
public final class StoredOperations implements Operations {
  private final ServiceCore core;

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
