package org.optin4j.lists;

import java.nio.file.Path;
import java.util.function.LongConsumer;
import org.optin4j.OptIn;

/**
 * Imports subscribers from another tool with the proof their export carries (GDPR Art. 7(1)): obtain it from
 * {@link OptIn#imports()}.
 *
 * <p>The file is read twice, streaming: once for its SHA-256 (named in every imported event's evidence), once to
 * import, in units of work of {@value #PAGE_ROWS} rows, so that memory stays bounded whatever the file's size. Every
 * imported change is an event with channel {@link org.optin4j.Channel#IMPORT} and its original time, sealed into the
 * subject's hash chain and the feed like any other. Running one file again changes nothing. The merge rules with what
 * the library already holds are in {@code docs/import.md}.
 *
 * <p>Thread-safe; imports of different files may run at once (one address on both is serialised by its history
 * lock).
 */
public interface Imports {

  /** Rows per unit of work. */
  int PAGE_ROWS = 500;

  /**
   * Imports a file.
   *
   * @param source what the file is and how to read it
   * @param file the file
   * @param progress told the number of rows read so far after each unit of work, or {@code null}
   * @return what was found and done
   * @throws java.io.UncheckedIOException if the file cannot be read
   * @throws org.optin4j.StoreException if the store fails; units committed before stay (running again completes the
   *     import)
   */
  ImportReport run(ImportSource source, Path file, LongConsumer progress);

  /**
   * Reports what {@link #run} would do with a file, writing nothing.
   *
   * @param source what the file is and how to read it
   * @param file the file
   * @return what a run would find and do against the store as it is now
   * @throws java.io.UncheckedIOException if the file cannot be read
   */
  ImportReport dryRun(ImportSource source, Path file);

  /**
   * Asks every unproven imported subscriber to confirm (re-permission): for each imported request still open and
   * never mailed, one confirmation mail with a link to its request, through the outbox (so the dispatcher's sending
   * rates apply) and through the confirmation-mail cap of the inbox (an inbox whose cap is full is left for a later
   * call). The mail is the normal confirmation mail: neutral, naming the purposes, no marketing (security rule 23). A
   * person who confirms turns the entry proven through the normal confirmation (a {@code CONFIRMED} event with the
   * confirming request's evidence); one who does not lapses at the end of the import's {@code unprovenHold} and is
   * purged by the retention job after the unconfirmed grace period. Idempotent: a request that was mailed is never
   * mailed again by this call (a person who lost the mail asks for a new link through the confirmation page). Walks
   * every subject with a pending consent, a unit of work each that holds a request to mail.
   *
   * @return where re-permission stands after this call, with how many were throttled
   * @throws org.optin4j.StoreException if the store fails; the mails queued before stay queued
   */
  RepermissionReport repermission();

  /**
   * Tells where re-permission stands, mailing nothing: reads every subject's consents and their requests.
   *
   * @return the counts ({@code throttled} is 0)
   */
  RepermissionReport repermissionProgress();
}
