package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.optin4j.internal.StoredImports.Decision.CONFIRM;
import static org.optin4j.internal.StoredImports.Decision.CREATE;
import static org.optin4j.internal.StoredImports.Decision.KEEP;
import static org.optin4j.internal.StoredImports.Decision.MARK_UNDELIVERABLE;
import static org.optin4j.internal.StoredImports.Decision.UNCHANGED;
import static org.optin4j.internal.StoredImports.Decision.WITHDRAW;

import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.optin4j.Consent;
import org.optin4j.Fixtures;
import org.optin4j.SubjectId;
import org.optin4j.lists.ImportClass;

/** The merge table of docs/import.md, row by row. */
class StoredImportsDecideTest {
  private static final Instant T2020 = Instant.parse("2020-01-01T00:00:00Z");
  private static final Instant T2022 = Instant.parse("2022-01-01T00:00:00Z");
  private static final Instant T2024 = Instant.parse("2024-01-01T00:00:00Z");
  private static final Consent.NoticeRef NOTICE =
      new Consent.NoticeRef(1, "a".repeat(64), Locale.ENGLISH);

  private static Consent pending(Instant at) {
    return Consent.pending(
        SubjectId.random(new java.security.SecureRandom()),
        Fixtures.newsletter(),
        "r1",
        NOTICE,
        at);
  }

  private static ImportRows.Entry entry(ImportClass kind, Instant confirmed, Instant ended) {
    return new ImportRows.Entry(Fixtures.NEWSLETTER, kind, T2020, null, confirmed, null, ended);
  }

  private static StoredImports.Decision decide(Consent held, boolean marked, ImportRows.Entry e) {
    return StoredImports.decide(held, marked, e, e.endedAt() == null ? T2024 : e.endedAt());
  }

  @Test
  void nothingHeldThenCreated() {
    for (ImportClass c : ImportClass.values()) {
      assertEquals(CREATE, decide(null, false, entry(c, T2020, T2022)));
    }
  }

  @Test
  void provenRowThenConfirmsPendingAndNewerThanALapseButNeverOverridesProofWithdrawalOrMark() {
    ImportRows.Entry proven = entry(ImportClass.PROVEN, T2022, null);
    assertEquals(CONFIRM, decide(pending(T2024), false, proven));
    assertEquals(UNCHANGED, decide(pending(T2020).confirm(T2022), false, proven));
    assertEquals(KEEP, decide(pending(T2020).confirm(T2020), false, proven));
    assertEquals(KEEP, decide(pending(T2020).withdraw(T2020), false, proven));
    assertEquals(CONFIRM, decide(pending(T2020).expire(T2020), false, proven));
    assertEquals(KEEP, decide(pending(T2020).expire(T2024), false, proven));
    assertEquals(KEEP, decide(pending(T2020).expire(T2020), true, proven));
  }

  @Test
  void unprovenRowThenNeverChangesWhatIsHeld() {
    ImportRows.Entry unproven = entry(ImportClass.UNPROVEN, null, null);
    assertEquals(UNCHANGED, decide(pending(T2020), false, unproven));
    assertEquals(KEEP, decide(pending(T2020).confirm(T2020), false, unproven));
    assertEquals(KEEP, decide(pending(T2020).withdraw(T2020), false, unproven));
  }

  @Test
  void withdrawalThenWinsUnlessARequestOrConfirmationHereIsLater() {
    ImportRows.Entry withdrawn = entry(ImportClass.WITHDRAWN, null, T2022);
    assertEquals(WITHDRAW, decide(pending(T2020), false, withdrawn));
    assertEquals(KEEP, decide(pending(T2024), false, withdrawn));
    assertEquals(WITHDRAW, decide(pending(T2020).confirm(T2020), false, withdrawn));
    assertEquals(KEEP, decide(pending(T2020).confirm(T2024), false, withdrawn));
    assertEquals(UNCHANGED, decide(pending(T2020).withdraw(T2020), false, withdrawn));
    assertEquals(KEEP, decide(pending(T2020).expire(T2020), false, withdrawn));
  }

  @Test
  void undeliverableThenMarksUnlessLaterOrWithdrawnAndOnceOnly() {
    ImportRows.Entry cleaned = entry(ImportClass.UNDELIVERABLE, null, T2022);
    assertEquals(MARK_UNDELIVERABLE, decide(pending(T2020), false, cleaned));
    assertEquals(MARK_UNDELIVERABLE, decide(pending(T2020).confirm(T2020), false, cleaned));
    assertEquals(KEEP, decide(pending(T2020).confirm(T2024), false, cleaned));
    assertEquals(MARK_UNDELIVERABLE, decide(pending(T2020).expire(T2020), false, cleaned));
    assertEquals(UNCHANGED, decide(pending(T2020).expire(T2020), true, cleaned));
    assertEquals(KEEP, decide(pending(T2020).withdraw(T2020), false, cleaned));
  }
}
