package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.optin4j.Notice;
import org.optin4j.OptIn;

/**
 * The notice a form was shown with, found by the hash in its hidden field ({@link Pages#NOTICE_FIELD}): the hosted
 * signup, the preference center and the drop-in record a consent against exactly the text that was shown (GDPR Art.
 * 7(1)). Bounded cache of stored notices.
 *
 * <p>Thread-safe.
 */
final class ShownNotices {
  private static final int SHOWN_NOTICES_LIMIT = 1024;

  private final OptIn optIn;
  private final ConcurrentMap<String, Notice> shownNotices = new ConcurrentHashMap<>();

  ShownNotices(OptIn optIn) {
    this.optIn = optIn;
  }

  Optional<Notice> shownNotice(HttpServletRequest req) {
    String hash = req.getParameter(Pages.NOTICE_FIELD);
    if (hash == null || !hash.matches("[0-9a-f]{64}")) {
      return Optional.empty();
    }
    Notice known = shownNotices.get(hash);
    if (known != null) {
      return Optional.of(known);
    }
    // Stored notices are immutable and never deleted, so one found by its hash can be kept: this saved a store
    // transaction (a database round trip) on every signup. Unknown hashes are not remembered; the map is bounded.
    Optional<Notice> found = optIn.noticeByHash(hash);
    if (found.isPresent() && shownNotices.size() < SHOWN_NOTICES_LIMIT) {
      shownNotices.putIfAbsent(hash, found.get());
    }
    return found;
  }
}
