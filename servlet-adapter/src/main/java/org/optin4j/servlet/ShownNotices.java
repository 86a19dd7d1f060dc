package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import org.optin4j.Notice;
import org.optin4j.OptIn;

/**
 * The notice a form was shown with, found by the hash in its hidden field ({@link Pages#NOTICE_FIELD}): the hosted
 * signup, the preference center and the drop-in record a consent against exactly the text that was shown (GDPR Art.
 * 7(1)). Looked up once per signup: the core keeps what it read ({@link OptIn#noticeByHash}), so a signup after its
 * form view costs no store read, and the request that carries the notice checks its language and currency.
 *
 * <p>Thread-safe.
 */
final class ShownNotices {
  private final OptIn optIn;

  ShownNotices(OptIn optIn) {
    this.optIn = optIn;
  }

  Optional<Notice> shownNotice(HttpServletRequest req) {
    String hash = req.getParameter(Pages.NOTICE_FIELD);
    if (hash == null || !hash.matches("[0-9a-f]{64}")) {
      return Optional.empty();
    }
    return optIn.noticeByHash(hash);
  }
}
