package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;

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
    return byHash(req.getParameter(Pages.NOTICE_FIELD));
  }

  /** The notice with this hash (as a form's hidden field or a JSON body carries it), if it is one. */
  Optional<Notice> byHash(String hash) {
    if (hash == null || !hash.matches("[0-9a-f]{64}")) {
      return Optional.empty();
    }
    return optIn.noticeByHash(hash);
  }

  /**
   * The purposes a form offered: those of the notice it showed, or, when it sent none that is known, every purpose of
   * the catalog (the form is then answered with the current notice).
   */
  Set<PurposeId> offered(Optional<Notice> shown) {
    return shown
        .map(n -> Set.copyOf(n.purposes()))
        .orElseGet(
            () -> optIn.catalog().purposes().stream().map(Purpose::id).collect(Collectors.toSet()));
  }
}
