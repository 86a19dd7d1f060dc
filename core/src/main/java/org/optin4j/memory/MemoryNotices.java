package org.optin4j.memory;

import java.util.Objects;
import java.util.Optional;
import org.optin4j.Notice;
import org.optin4j.spi.NoticeStore;

/**
 * The in-memory NoticeStore: notice texts. Reads and writes the store's shared state directly, under the store lock
 * that every unit holds, and logs how to undo each write in its unit. One per unit of work; not thread-safe.
 */
record MemoryNotices(MemoryUnit unit, MemoryState state) implements NoticeStore {
  @Override
  public Notice saveNotice(Notice candidate) {
    unit.checkWrite();
    Objects.requireNonNull(candidate, "candidate");
    Notice known = state.noticesByHash.get(candidate.hash());
    if (known != null) {
      return known;
    }
    String key = candidate.key();
    int version = state.latestNoticeVersionByKey.getOrDefault(key, 0) + 1;
    Notice stored = candidate.withVersion(version);
    unit.put(state.noticesByHash, stored.hash(), stored);
    unit.put(state.latestNoticeVersionByKey, key, version);
    return stored;
  }

  @Override
  public Optional<Notice> notice(String hash) {
    return unit.find(state.noticesByHash, hash, "hash");
  }
}
