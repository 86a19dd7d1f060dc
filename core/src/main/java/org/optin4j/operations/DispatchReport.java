package org.optin4j.operations;

/**
 * What one outbox dispatch round did. Counts only, no personal data.
 *
 * @param sent mails the server accepted
 * @param retrying mails that failed transiently and are queued again with backoff
 * @param failed mails that failed permanently (or ran out of attempts) and are marked failed
 */
public record DispatchReport(int sent, int retrying, int failed) {
  /** Returns the number of mails handled. */
  public int total() {
    return sent + retrying + failed;
  }
}
