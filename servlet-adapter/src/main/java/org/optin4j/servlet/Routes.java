package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;

/**
 * The routing table of the hosted pages: which handler answers a (method, path) under the prefix. GET and HEAD go to
 * a route's read handler, POST to its post handler; a path that is not listed answers 404, a method a route does not
 * take 405 with {@code Allow}. Reads never change state (mail scanners open every link: SECURITY.md,
 * "Link-prefetching scanners"); every post
 * that changes state runs the {@link PostGate} prologue first, except the RFC 8058 one-click unsubscribe.
 *
 * <p>{@link #hosted} is the one list of the endpoints, the HTTP contract of the module README, each with what whoever
 * holds its link (or page) can do and cannot do: a link in a mail may have been forwarded, or opened by a scanner.
 * The filter's other paths are the app's own, configured rather than hosted ({@code formPaths}: the drop-in reads the
 * signup POST and passes it on; {@code markerPaths}: notice blocks in static pages), and {@link OptInFilter} hands
 * those to {@link DropIn}.
 *
 * <p>Immutable and thread-safe.
 */
final class Routes {

  /** Answers a request. */
  @FunctionalInterface
  interface Handler {
    void handle(HttpServletRequest req, HttpServletResponse res) throws IOException;
  }

  /** What answers GET/HEAD and what answers POST ({@code null}: that method is not allowed). */
  private record Route(Handler read, Handler post) {
    static Route page(Handler read, Handler post) {
      return new Route(read, post);
    }

    static Route read(Handler read) {
      return new Route(read, null);
    }

    static Route post(Handler post) {
      return new Route(null, post);
    }

    String allow() {
      return read == null ? "POST" : post == null ? "GET, HEAD" : "GET, HEAD, POST";
    }
  }

  private final Pages pages;
  private final Map<String, Route> routes;

  private Routes(Pages pages, Map<String, Route> routes) {
    this.pages = pages;
    this.routes = routes;
  }

  /** Every endpoint under the prefix. */
  static Routes hosted(
      Pages pages,
      PostGate gate,
      SignupPages signup,
      ConfirmPages confirm,
      UnsubscribePages unsubscribe,
      PreferencePages preferences,
      RightsRequests rights,
      StepUpPages stepUp,
      PublicFiles files,
      InformationPages information) {
    return new Routes(
        pages,
        Map.ofEntries(
            // Anyone, no link: the signup form. The POST starts a double opt-in and answers the
            // same for every address
            // (SECURITY.md, "Scrapers enumerating addresses"): it can mail a confirmation link to
            // an address, never confirm
            // one or learn about it.
            Map.entry("/subscribe", Route.page(signup::subscribeForm, signup::subscribe)),
            // The confirmation link: can see the purposes asked for and confirm them (or fewer).
            // Cannot see the
            // address, add a purpose, or act once confirmed ("already confirmed", no second event).
            Map.entry(
                "/confirm",
                Route.page(confirm::confirmPage, gate.linked("confirm", confirm::confirm))),
            // The expired confirmation link: can have a fresh link mailed to the address of the
            // request, nowhere else.
            Map.entry("/resend", Route.post(gate.linked("confirm", confirm::resend))),
            // The unsubscribe link of every mail: can withdraw everything at once (also as the RFC
            // 8058 one-click POST,
            // authorised by the token alone). Cannot see or change anything else.
            Map.entry(
                "/unsubscribe", Route.page(unsubscribe::unsubscribePage, unsubscribe::unsubscribe)),
            // The preferences link: can see the purposes and the notices agreed to, start a double
            // opt-in for a purpose
            // and withdraw at once. Cannot see the address, nor take the data or the subject over:
            // see below.
            Map.entry(
                "/preferences",
                Route.page(
                    preferences::preferencesPage,
                    preferences.managed(preferences::changePreferences))),
            Map.entry(
                "/preferences/withdraw", Route.post(preferences.managed(preferences::withdrawAll))),
            // The preferences link asks; the address on file decides. A new address only gets a
            // step-up link mailed to
            // the address on file; the data and the receipt are mailed there; an erasure waits for
            // the step-up link.
            Map.entry("/preferences/address", Route.post(preferences.managed(rights::address))),
            Map.entry("/preferences/export", Route.post(preferences.managed(rights::export))),
            Map.entry("/preferences/receipt", Route.post(preferences.managed(rights::receipt))),
            Map.entry("/preferences/erase", Route.post(preferences.managed(rights::erase))),
            // The step-up link, mailed to the address on file: can allow the one change of address
            // or the erasure it
            // was issued for, once. Cannot do anything else, nor open the preference center.
            Map.entry(
                StepUpPages.STEP_UP_PATH,
                Route.page(stepUp::stepUpPage, gate.linked("step-up", stepUp::stepUp))),
            // The "this was not me" link, mailed to the old address after a change: can restore
            // that address, once.
            Map.entry(
                StepUpPages.NOT_ME_PATH,
                Route.page(stepUp::notMePage, gate.linked("not-me", stepUp::notMe))),
            // Anyone: the stylesheet and the public receipt keys. No token, no personal data, no
            // state.
            Map.entry("/optin.css", Route.read(files::css)),
            // Anyone: the full information of GDPR Art. 13 that every notice links to. No
            // token, no personal data, no state.
            Map.entry(InformationPages.PATH, Route.read(information::page)),
            Map.entry("/.well-known/jwks.json", Route.read(files::jwks))));
  }

  /** Answers a request for {@code path} (the part after the prefix). */
  void handle(HttpServletRequest req, HttpServletResponse res, String path) throws IOException {
    String m = req.getMethod();
    Route route = routes.get(path);
    if (route == null) {
      pages.notFound(req, res);
      return;
    }
    Handler handler =
        "GET".equals(m) || "HEAD".equals(m) ? route.read() : "POST".equals(m) ? route.post() : null;
    if (handler == null) {
      pages.notAllowed(req, res, route.allow());
    } else {
      handler.handle(req, res);
    }
  }
}
