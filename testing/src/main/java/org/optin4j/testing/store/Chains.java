package org.optin4j.testing.store;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.Retention;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.ChainSealer;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.HistoryStore;

/**
 * The hash chain as the contract suite writes and checks it, with the core's public API only (the kit runs on the
 * module path too, where the core's internals are not readable): events are sealed with {@link ConsentEvent#sealed}
 * onto the head the store hands out, as the core seals them, and a chain is verified by the core itself through
 * {@link org.optin4j.proof.ConsentProof#verifyHistory}, so that a store is held to exactly what the core checks.
 *
 * <p>Thread-safe.
 */
final class Chains {

  /** Seals like the core: the next position, the head's hash as previous hash, 16 fresh random bytes of salt. */
  static final ChainSealer SEALER = Chains::seal;

  private static final SecureRandom SALTS = new SecureRandom();

  private Chains() {}

  /** Appends an unsealed event as the core does: lock the subject's history, seal onto its head, store. */
  static ConsentEvent append(HistoryStore history, ConsentEvent event) {
    HistoryHead head = history.lock(event.subjectId());
    return history.append(seal(event, head), head);
  }

  /** Seals an unsealed event onto a head. */
  static ConsentEvent seal(ConsentEvent event, HistoryHead head) {
    byte[] salt = new byte[16];
    SALTS.nextBytes(salt);
    return event.sealed(head.position() + 1, head.hash(), salt);
  }

  /** Verifies a subject's chain in the store through an {@link OptIn} over it, as an operator's audit would. */
  static HistoryVerification verify(ConsentStore store, SubjectId id) {
    try (OptIn reader =
        OptIn.builder()
            .catalog(
                PurposeCatalog.builder()
                    .locales(Locale.ENGLISH)
                    .add(
                        Purpose.builder("newsletter")
                            .text(
                                Locale.ENGLISH,
                                "Newsletter",
                                "The contract suite's purpose.",
                                "your email address")
                            .noRecipients()
                            .noAutomatedDecisions()
                            .retention(Retention.untilWithdrawn(Duration.ofDays(365)))
                            .build())
                    .build())
            .controller(
                new Controller(
                        "Contract suite",
                        "Nowhere 1",
                        "privacy@example.org",
                        "https://example.org/privacy")
                    .withSupervisoryAuthority(
                        "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
            .store(store)
            .mailer(
                batch -> {
                  throw new AssertionError("the contract suite's verifier never sends mail");
                })
            .signingKeys(SigningKeys.generate("contract"))
            .suppressionPepper(pepper())
            .baseUrl("https://example.org/optin")
            .build()) {
      return reader.proof().verifyHistory(id);
    }
  }

  private static byte[] pepper() {
    byte[] pepper = new byte[32];
    SALTS.nextBytes(pepper);
    return pepper;
  }
}
