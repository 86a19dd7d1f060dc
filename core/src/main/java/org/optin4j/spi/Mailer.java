package org.optin4j.spi;

import java.util.List;

/**
 * Sends mails. The dispatcher hands it batches; an implementation should send a batch over one connection rather
 * than one connection per mail.
 *
 * <p>Implementations must be thread-safe. They report each mail's fate as a {@link SendOutcome} and throw only for
 * programming errors: a mail server outage is a {@link SendOutcome.TransientFailure} for every mail of the batch.
 */
public interface Mailer {

  /**
   * Sends a batch.
   *
   * @param batch the mails
   * @return one outcome per mail, in the same order
   */
  List<SendOutcome> send(List<MailMessage> batch);

  /**
   * Opens a session for several batches in a row, so that an implementation can keep one connection open between
   * them. The dispatcher opens one session per dispatch round, sends each batch of the round through it, and closes
   * it at the end of the round; it never sends inside a store transaction, but a session stays open (idle) while the
   * dispatcher records one batch's outcomes and claims the next.
   *
   * <p>The default sends each batch with {@link #send(List)} and holds nothing open.
   *
   * @return a session, for use by one thread at a time
   */
  default MailerSession openSession() {
    return this::send;
  }

  /**
   * Whether this mailer sends mail to addresses whose local part is not ASCII ({@code zoë@example.org}), which needs a
   * mail server that offers SMTPUTF8 (RFC 6531). {@code OptIn} refuses such addresses at signup unless this says yes,
   * so that a person learns it on the form rather than never getting the mail. An internationalised domain alone does
   * not need it: its A-label is ASCII.
   *
   * <p>The default is {@code false}.
   *
   * @return whether non-ASCII local parts can be mailed
   */
  default boolean sendsSmtpUtf8() {
    return false;
  }
}
