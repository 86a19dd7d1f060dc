package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.optin4j.EmailAddress;
import org.optin4j.OptIn;
import org.optin4j.SubjectId;
import org.optin4j.rights.StepUpResult;

/**
 * The data-subject requests of the preference center, each a POST behind its prologue
 * ({@link PreferencePages#managed}): change of address (Art. 16), a copy of the data (Art. 15, 20), a signed receipt
 * of the consents (Art. 7(1)), erasure (Art. 17). A preferences link may have been forwarded (SECURITY.md, "Holders
 * of a forwarded link"), so none of them hands data to whoever holds the link: the copy and the receipt are mailed to
 * the address on file, and a change of address or an erasure waits for a step-up link mailed there
 * ({@link StepUpPages}).
 *
 * <p>Immutable and thread-safe.
 */
record RightsRequests(OptIn optIn, Pages pages, Guard guard, PreferencePages preferences) {
  /** {@code /preferences/address}: mails a step-up link to the address on file; nothing changes yet. */
  void address(HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId id)
      throws IOException {
    // A preferences link may have been forwarded: the address on file must agree first (step-up).
    String email = req.getParameter("email");
    StepUpResult r =
        email == null || email.length() > Pages.MAX_EMAIL
            ? new StepUpResult.InvalidAddress("too long")
            : optIn
                .rights()
                .stepUpAddressChange(Pages.token(req), email, locale, guard.evidence(req));
    if (r instanceof StepUpResult.InvalidAddress) {
      Optional<EmailAddress> parsed = EmailAddress.tryParse(email == null ? "" : email);
      preferences.preferencesPage(
          req,
          res,
          List.of(
              parsed.isPresent() && !optIn.canMail(parsed.get())
                  ? SignupPages.PROBLEM_SMTPUTF8
                  : "problem.email"),
          400);
    } else if (r instanceof StepUpResult.InvalidLink) {
      pages.invalidLink(req, res, locale);
    } else {
      // Sent, Throttled, Unchanged: one answer, so the page tells nothing about the new address.
      preferences.saved(req, res, locale, "resent.title", "address.stepup");
    }
  }

  /** {@code /preferences/export}: mails the data to the address on file, never shows it. */
  void export(HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId id)
      throws IOException {
    mailed(
        req, res, locale, optIn.rights().requestDataExport(id), "export.sent", "export.throttled");
  }

  /** {@code /preferences/receipt}: mails a signed receipt of the consents to the address on file. */
  void receipt(HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId id)
      throws IOException {
    mailed(req, res, locale, optIn.rights().mailReceipt(id), "receipt.sent", "receipt.throttled");
  }

  /** The answer to a request that mails the address on file: sent, or not this time (throttled). */
  private void mailed(
      HttpServletRequest req,
      HttpServletResponse res,
      Locale locale,
      boolean sent,
      String sentKey,
      String throttledKey)
      throws IOException {
    preferences.saved(req, res, locale, "saved.title", sent ? sentKey : throttledKey);
  }

  /** {@code /preferences/erase}: with the box ticked, mails a step-up link to the address on file. */
  void erase(HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId id)
      throws IOException {
    if (!"yes".equals(req.getParameter("confirm"))) {
      preferences.preferencesPage(req, res, List.of("erase.unticked"), 400);
    } else if (optIn.rights().stepUpErasure(Pages.token(req), locale)
        instanceof StepUpResult.InvalidLink) {
      pages.invalidLink(req, res, locale);
    } else {
      // Nothing is erased on a link that may have been forwarded: the address on file confirms
      // first.
      preferences.saved(req, res, locale, "resent.title", "erase.stepup");
    }
  }
}
