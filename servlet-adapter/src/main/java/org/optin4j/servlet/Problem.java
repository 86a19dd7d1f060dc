package org.optin4j.servlet;

/**
 * The problems the JSON API answers with, each an RFC 9457 problem type: a {@code type} URI that names it for good,
 * its HTTP status and a short title. A problem body says what is wrong in general terms and names at most a field: it
 * never echoes the input (it may be a token or an address) nor any internal detail. The list, with what a client should
 * do about each, is in {@code docs/json-api.md}.
 *
 * <p>Immutable and thread-safe.
 */
enum Problem {
  INVALID_JSON(400, "invalid-json", "The body is not a JSON object"),
  BODY_TOO_LARGE(400, "body-too-large", "The body is too large"),
  UNKNOWN_FIELD(400, "unknown-field", "The body has a field this endpoint does not take"),
  INVALID_FIELD(400, "invalid-field", "A field is missing, of the wrong type or invalid"),
  INVALID_PARAMETER(400, "invalid-parameter", "A query parameter is invalid"),
  INVALID_LINK(400, "invalid-link", "The link token is not valid (any more)"),
  UNAUTHORIZED(401, "unauthorized", "A valid bearer credential is required"),
  ORIGIN_NOT_ALLOWED(403, "origin-not-allowed", "Requests from this origin are not allowed"),
  PREFLIGHT_REFUSED(403, "preflight-refused", "This cross-origin request is not allowed"),
  NOT_FOUND(404, "not-found", "There is no such API endpoint"),
  METHOD_NOT_ALLOWED(405, "method-not-allowed", "This endpoint does not take this method"),
  NOTICE_CHANGED(409, "notice-changed", "The notice changed; fetch it again and show it"),
  LINK_EXPIRED(410, "link-expired", "The link has expired"),
  UNSUPPORTED_MEDIA_TYPE(
      415, "unsupported-media-type", "The body must be application/json (UTF-8)"),
  TOO_MANY_REQUESTS(429, "too-many-requests", "Too many requests; retry after a while"),
  INTERNAL(500, "internal", "The request could not be handled");

  /** The prefix of every problem type: a URN, so that it never resolves to a page that could change. */
  static final String TYPE_PREFIX = "urn:optin4j:problem:";

  /** The media type of a problem body (RFC 9457, section 3). */
  static final String MEDIA_TYPE = "application/problem+json";

  private final int status;
  private final String slug;
  private final String title;

  Problem(int status, String slug, String title) {
    this.status = status;
    this.slug = slug;
    this.title = title;
  }

  int status() {
    return status;
  }

  String type() {
    return TYPE_PREFIX + slug;
  }

  String title() {
    return title;
  }
}
