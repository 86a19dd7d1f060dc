package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationPreview;
import org.optin4j.ConfirmationResult;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.ResendResult;

/**
 * The confirmation link's pages: {@code /confirm} shows what the person asked for, each purpose ticked, with the
 * notice; only its POST confirms, and only the purposes still ticked (mail scanners open links: SECURITY.md,
 * "Link-prefetching scanners"). An expired link offers {@code /resend}, which mails a fresh link to the address of the
 * request and makes the earlier ones useless.
 *
 * <p>Immutable and thread-safe.
 */
record ConfirmPages(OptIn optIn, Pages pages, PostGate gate, Guard guard) {
  /** GET: the preview of the request behind the link. */
  void confirmPage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = Pages.token(req);
    if (token == null) {
      pages.invalidLink(req, res, locale);
      return;
    }
    showPreview(req, res, locale, token, optIn.preview(token), List.of(), null);
  }

  private void showPreview(
      HttpServletRequest req,
      HttpServletResponse res,
      Locale locale,
      String token,
      ConfirmationPreview preview,
      List<String> problems,
      Set<PurposeId> ticked)
      throws IOException {
    if (preview instanceof ConfirmationPreview.Ready ready) {
      Set<PurposeId> checked =
          ticked != null
              ? ticked
              : ready.purposes().stream().map(Purpose::id).collect(Collectors.toSet());
      String title = pages.t(locale, "confirm.title");
      // Sized for the notice, its checkboxes and the form, which the default 1 KiB would copy as it
      // grows.
      Html h = new Html(8192).element("h1", title).nl();
      pages.problems(h, locale, problems);
      h.element("p", pages.t(locale, "confirm.intro")).nl();
      Pages.form(h, pages.base(req) + "/confirm");
      pages.noticeAndChoices(
          h,
          ready.notice(),
          ready.purposes(),
          locale,
          "purpose",
          checked,
          "optin-purpose-",
          "optin-notice-text",
          pages.base(req));
      h.element(
              "p",
              pages.t(locale, "confirm.until", "date", pages.dateTime(ready.expiresAt(), locale)))
          .nl();
      gate.linkFields(h, "confirm", token, locale);
      Pages.button(h, null, pages.t(locale, "confirm.submit")).close("form").nl();
      pages.send(req, res, problems.isEmpty() ? 200 : 400, "confirm", locale, title, h);
    } else {
      notConfirmable(req, res, locale, token, Unusable.of(preview));
    }
  }

  /** POST, behind {@link PostGate#linked}: confirms the purposes still ticked. */
  void confirm(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
      throws IOException {
    Set<PurposeId> chosen = new TreeSet<>();
    boolean tampered = false;
    for (String v : Pages.values(req, "purpose")) {
      Optional<PurposeId> id = Pages.purposeId(v);
      if (id.isPresent()) {
        chosen.add(id.get());
      } else {
        tampered = true;
      }
    }
    if (tampered) {
      showPreview(req, res, locale, token, optIn.preview(token), List.of("confirm.none"), chosen);
      return;
    }
    ConfirmationResult result = settle(req, token, chosen);
    if (result instanceof ConfirmationResult.NotOffered) {
      showPreview(req, res, locale, token, optIn.preview(token), List.of("confirm.none"), Set.of());
    } else if (result instanceof ConfirmationResult.Confirmed c) {
      String[] texts =
          c.confirmed().isEmpty()
              ? new String[] {"confirmed.declined"}
              : new String[] {"confirmed.text"};
      pages.message(req, res, 200, "confirmed", locale, "confirmed.title", null, texts);
    } else {
      notConfirmable(req, res, locale, token, Unusable.of(result));
    }
  }

  /**
   * Confirms the chosen purposes of a confirmation link, shared by the page's POST and the JSON API. Every box
   * unticked is an answer too: the person declines, and every purpose of the request is recorded so.
   */
  ConfirmationResult settle(HttpServletRequest req, String token, Set<PurposeId> chosen) {
    return chosen.isEmpty()
        ? optIn.decline(token, guard.evidence(req))
        : optIn.confirm(token, ConfirmationChoice.only(chosen), guard.evidence(req));
  }

  /** Why a link confirms nothing (any more), as the page and its POST learn it from the core. */
  private enum Unusable {
    ALREADY_CONFIRMED,
    EXPIRED,
    INVALID;

    static Unusable of(ConfirmationPreview preview) {
      return preview instanceof ConfirmationPreview.AlreadyConfirmed
          ? ALREADY_CONFIRMED
          : preview instanceof ConfirmationPreview.Expired ? EXPIRED : INVALID;
    }

    static Unusable of(ConfirmationResult result) {
      return result instanceof ConfirmationResult.AlreadyConfirmed
          ? ALREADY_CONFIRMED
          : result instanceof ConfirmationResult.Expired ? EXPIRED : INVALID;
    }
  }

  /** The answer of the page and of its POST for a link that confirms nothing (any more). */
  private void notConfirmable(
      HttpServletRequest req, HttpServletResponse res, Locale locale, String token, Unusable why)
      throws IOException {
    switch (why) {
      case ALREADY_CONFIRMED -> alreadyConfirmed(req, res, locale);
      case EXPIRED -> expired(req, res, locale, token);
      default -> pages.invalidLink(req, res, locale);
    }
  }

  /** 410 with a button that asks for a fresh link. */
  private void expired(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
      throws IOException {
    Html form = Pages.form(new Html(), pages.base(req) + "/resend");
    gate.linkFields(form, "confirm", token, locale);
    Pages.button(form, null, pages.t(locale, "expired.submit")).close("form").nl();
    pages.message(req, res, 410, "expired", locale, "expired.title", form, "expired.text");
  }

  /** POST from the expired page, behind {@link PostGate#linked}: mails a fresh link; the earlier ones stop working. */
  void resend(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
      throws IOException {
    ResendResult result = optIn.resendConfirmation(token);
    if (result instanceof ResendResult.Invalid) {
      pages.invalidLink(req, res, locale);
    } else if (result instanceof ResendResult.AlreadyConfirmed) {
      alreadyConfirmed(req, res, locale);
    } else {
      pages.message(req, res, 200, "resent", locale, "resent.title", null, "resent.text");
    }
  }

  private void alreadyConfirmed(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    pages.message(
        req, res, 200, "already-confirmed", locale, "already.title", null, "already.text");
  }
}
