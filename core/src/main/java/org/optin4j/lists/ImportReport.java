package org.optin4j.lists;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an import found and did: the rows read, each entry's {@linkplain ImportClass class}, what happened to it in the
 * store, and the invalid rows with their line numbers.
 *
 * <p>An <em>entry</em> is one row for one purpose: a row of a Mailchimp file for two purposes counts as two entries,
 * a listmonk subscriber on three mapped lists as three. Invalid rows count once each. Of the entries, {@code written}
 * changed the store, {@code unchanged} found it saying the same already (a second run of one file finds only these),
 * {@code kept} met something the library holds that wins over the row (a confirmation here beats an unproven row, a
 * withdrawal beats a confirmation; {@code docs/import.md}), and {@code suppressed} met an erased address (GDPR
 * Art. 17: it comes back only through a fresh double opt-in). A dry run reports what a run would do against the store
 * as it is, writing nothing; within one dry run, an address on two rows is judged against the store each time.
 *
 * <p>Immutable and thread-safe.
 *
 * @param fileName the file's name, as recorded in the evidence
 * @param sha256 the SHA-256 of the file's bytes, lowercase hex, as recorded in the evidence
 * @param dryRun whether nothing was written
 * @param rows the data rows read (header excluded), invalid ones included
 * @param classes the entries per class
 * @param written entries that changed the store (or would have, in a dry run)
 * @param unchanged entries the store already held as the row says
 * @param kept entries where what the store held won over the row
 * @param suppressed entries for an erased (suppressed) address, not imported
 * @param ignored rows with no purpose to import (a listmonk subscriber on no mapped list)
 * @param invalidCount every invalid row
 * @param invalid the first invalid rows, at most {@link #MAX_INVALID_LISTED}
 */
public record ImportReport(
    String fileName,
    String sha256,
    boolean dryRun,
    long rows,
    Map<ImportClass, Long> classes,
    long written,
    long unchanged,
    long kept,
    long suppressed,
    long ignored,
    long invalidCount,
    List<InvalidRow> invalid) {

  /** How many invalid rows a report lists; the rest are only counted. */
  public static final int MAX_INVALID_LISTED = 100;

  /** Validates the components and copies the collections. */
  public ImportReport {
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(sha256, "sha256");
    EnumMap<ImportClass, Long> all = new EnumMap<>(ImportClass.class);
    for (ImportClass c : ImportClass.values()) {
      all.put(c, Objects.requireNonNull(classes, "classes").getOrDefault(c, 0L));
    }
    classes = java.util.Collections.unmodifiableMap(all);
    invalid = List.copyOf(invalid);
    if (invalid.size() > MAX_INVALID_LISTED) {
      throw new IllegalArgumentException(
          "a report lists at most " + MAX_INVALID_LISTED + " invalid rows, had " + invalid.size());
    }
    if (invalidCount < invalid.size()) {
      throw new IllegalArgumentException("invalidCount is below the invalid rows listed");
    }
  }

  /**
   * Returns the entries of one class.
   *
   * @param c the class
   * @return how many entries were of it
   */
  public long count(ImportClass c) {
    return classes.get(c);
  }

  /**
   * One row that could not be imported.
   *
   * @param line the line of the file the row starts on, from 1 (the header is line 1 of a CSV file)
   * @param reason why, naming the column; never the row's content beyond the column name
   */
  public record InvalidRow(long line, String reason) {
    /** Validates the components. */
    public InvalidRow {
      if (line < 1) {
        throw new IllegalArgumentException("line must be 1 or more, was " + line);
      }
      Objects.requireNonNull(reason, "reason");
    }
  }
}
