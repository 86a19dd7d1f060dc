package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.optin4j.SubjectId;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.ReportStore;

/**
 * The part of the store contract for bounce and complaint reports: reports set aside kept in full (excerpt of several
 * thousand characters, non-ASCII text), listed newest first, purged by age; temporary bounces counted once per mail,
 * counted within a window, purged per subject or for all.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class ReportStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected ReportStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  private void setAside(ReportStore.AsideReport r) {
    store.inTransaction(
        tx -> {
          tx.reports().setAside(r);
          return null;
        });
  }

  private boolean add(SubjectId subject, String mailId, java.time.Instant at) {
    return store.inTransaction(tx -> tx.reports().addSoftBounce(subject, mailId, at));
  }

  @Test
  void setAsideThenListedNewestFirstWithExcerptIntact() {
    String excerpt = "Subject: Zustellung fehlgeschlagen ü €\r\n" + "x".repeat(7000);
    setAside(new ReportStore.AsideReport("r1", at(10), "not a report", excerpt));
    setAside(new ReportStore.AsideReport("r2", at(20), "tag does not verify", "short"));

    List<ReportStore.AsideReport> listed = store.read(tx -> tx.reports().setAside(10));

    assertEquals(List.of("r2", "r1"), listed.stream().map(ReportStore.AsideReport::id).toList());
    assertEquals(excerpt, listed.get(1).excerpt());
    assertEquals("not a report", listed.get(1).reason());
    assertEquals(at(10), listed.get(1).receivedAt());
    assertEquals(1, store.read(tx -> tx.reports().setAside(1)).size());
  }

  @Test
  void setAsideWhenIdExistsThenDuplicateKey() {
    setAside(new ReportStore.AsideReport("r1", at(10), "a", "a"));
    assertThrows(
        DuplicateKeyException.class,
        () -> setAside(new ReportStore.AsideReport("r1", at(11), "b", "b")));
  }

  @Test
  void purgeSetAsideDeletesOnlyOlderReports() {
    setAside(new ReportStore.AsideReport("r1", at(10), "a", "a"));
    setAside(new ReportStore.AsideReport("r2", at(20), "b", "b"));

    assertEquals(1, (int) store.inTransaction(tx -> tx.reports().purgeSetAside(at(20))));

    assertEquals(
        List.of("r2"),
        store.read(tx -> tx.reports().setAside(10)).stream()
            .map(ReportStore.AsideReport::id)
            .toList());
  }

  @Test
  void softBounceCountedOncePerMailAndWithinTheWindow() {
    SubjectId ann = subjectId("ann");
    SubjectId bob = subjectId("bob");
    assertTrue(add(ann, "mail-1", at(10)));
    assertFalse(add(ann, "mail-1", at(30)));
    assertTrue(add(ann, "mail-2", at(40)));
    assertTrue(add(bob, "mail-3", at(40)));

    assertEquals(2, (int) store.read(tx -> tx.reports().countSoftBounces(ann, at(10))));
    assertEquals(1, (int) store.read(tx -> tx.reports().countSoftBounces(ann, at(11))));
    assertEquals(1, (int) store.read(tx -> tx.reports().countSoftBounces(bob, at(0))));
  }

  @Test
  void purgeSoftBouncesPerSubjectOrForAll() {
    SubjectId ann = subjectId("ann");
    SubjectId bob = subjectId("bob");
    store.inTransaction(
        tx -> {
          tx.reports().addSoftBounce(ann, "mail-1", at(10));
          tx.reports().addSoftBounce(ann, "mail-2", at(20));
          tx.reports().addSoftBounce(bob, "mail-3", at(10));
          return null;
        });

    assertEquals(1, (int) store.inTransaction(tx -> tx.reports().purgeSoftBounces(ann, at(20))));
    assertEquals(1, (int) store.read(tx -> tx.reports().countSoftBounces(ann, at(0))));
    assertEquals(1, (int) store.inTransaction(tx -> tx.reports().purgeSoftBounces(null, at(15))));
    assertEquals(0, (int) store.read(tx -> tx.reports().countSoftBounces(bob, at(0))));
    assertEquals(1, (int) store.read(tx -> tx.reports().countSoftBounces(ann, at(0))));
  }

  /** The core purges a subject's every bounce with {@code Instant.MAX} (a permanent bounce, an erasure). */
  @Test
  void purgeSoftBouncesBeforeInstantMaxThenAllOfTheSubjectGo() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(
        tx -> {
          tx.reports().addSoftBounce(ann, "mail-1", at(10));
          tx.reports().addSoftBounce(ann, "mail-2", at(20));
          return null;
        });

    assertEquals(
        2, (int) store.inTransaction(tx -> tx.reports().purgeSoftBounces(ann, Instant.MAX)));
    assertEquals(
        0, (int) store.inTransaction(tx -> tx.reports().purgeSoftBounces(null, Instant.MAX)));
  }
}
