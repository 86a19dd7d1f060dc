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
}
