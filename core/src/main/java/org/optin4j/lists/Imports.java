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
}
