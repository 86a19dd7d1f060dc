package org.optin4j.internal;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Function;
import org.optin4j.ConsentState;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConsentStore;

/**
 * Walks a long list a page at a time in key order (keyset paging), so that no unit of work holds more than a page:
 * each page is read after the last key of the one before, once that one was handled, and a page shorter than the page
 * size is the last.
 */
final class KeysetPages {
  private static final int SUBJECTS_PAGE = 500;

  private KeysetPages() {}

  /**
   * The subjects with a consent for one of {@code purposes} in one of {@code states}, 500 a page, each page read in a
   * unit of work of its own.
   */
  static Iterable<List<SubjectId>> subjects(
      ConsentStore store, Set<PurposeId> purposes, Set<ConsentState> states) {
    return of(
        SUBJECTS_PAGE,
        after -> store.read(tx -> tx.subjects().subjects(purposes, states, after, SUBJECTS_PAGE)));
  }

  /**
   * The pages, read lazily.
   *
   * @param size the page size the reads ask for
   * @param pageAfter reads the page after a key ({@code null}: the first page)
   * @return the pages, for one walk
   */
  static <K> Iterable<List<K>> of(int size, Function<K, List<K>> pageAfter) {
    return () ->
        new Iterator<>() {
          private List<K> previous;
          private List<K> next;

          @Override
          public boolean hasNext() {
            if (next == null && (previous == null || previous.size() >= size)) {
              next = pageAfter.apply(previous == null ? null : previous.get(previous.size() - 1));
            }
            return next != null;
          }

          @Override
          public List<K> next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            previous = next;
            next = null;
            return previous;
          }
        };
  }
}
