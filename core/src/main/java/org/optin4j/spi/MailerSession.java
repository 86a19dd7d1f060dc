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

  /** Releases what the session holds open (its connection); never throws. */
  @Override
  default void close() {}
}
