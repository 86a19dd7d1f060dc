package org.optin4j.spi;

import java.util.List;

/**
 * Batches sent one after another through a {@link Mailer}, for example over one connection: see
 * {@link Mailer#openSession()}. Outcomes as for {@link Mailer#send(List)}: a connection that was lost between batches
 * is the session's to re-open, not a failure of the next batch's mails. (A top-level type rather than one nested in
 * {@code Mailer}, so that it does not hide {@code jakarta.mail.Session} in the classes that implement {@code Mailer}.)
 *
 * <p>For one thread at a time.
 */
@FunctionalInterface
public interface MailerSession extends AutoCloseable {
  /**
   * Sends a batch.
   *
   * @param batch the mails
   * @return one outcome per mail, in the same order
   */
  List<SendOutcome> send(List<MailMessage> batch);

  /**
   * Sends a batch and reports each mail's outcome as soon as the server answered it, before the next mail goes out.
   * The dispatcher records each outcome in the store from {@code listener}, so that a node that dies mid-batch has
   * recorded every mail but the one on the wire, and sends again at most that one (at-least-once delivery, security
   * rule 27). The listener may stop the batch: the mails after it are then not attempted.
   *
   * <p>The default sends the mails one at a time through {@link #send(List)}, which keeps that promise for any
   * session; a session that holds a connection open should override it to send the batch over that connection.
   * An exception thrown by the listener ends the batch and propagates to the caller.
   *
   * @param batch the mails
   * @param listener told each mail's outcome, in order, on the calling thread
   */
  default void sendEach(List<MailMessage> batch, OutcomeListener listener) {
    for (int i = 0; i < batch.size(); i++) {
      List<SendOutcome> one = send(List.of(batch.get(i)));
      if (one.size() != 1) {
        throw new IllegalStateException("mailer returned " + one.size() + " outcomes for 1 mail");
      }
      if (!listener.answered(i, one.get(0))) {
        return;
      }
    }
  }

  /** Releases what the session holds open (its connection); never throws. */
  @Override
  default void close() {}

  /** Told the outcome of each mail of a {@link #sendEach} batch as soon as it is known. */
  @FunctionalInterface
  interface OutcomeListener {
    /**
     * Takes one mail's outcome.
     *
     * @param index the mail's position in the batch
     * @param outcome what became of it
     * @return {@code true} to go on with the next mail, {@code false} to stop the batch here
     */
    boolean answered(int index, SendOutcome outcome);
  }
}
