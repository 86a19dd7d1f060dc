package org.optin4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.optin4j.EmailAddress;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.MailerSession;
import org.optin4j.spi.SendOutcome;

/**
 * A {@link Mailer} that sends nothing: it records every mail it is handed and answers as the test scripted, so that a
 * test reads the confirmation mail of the double opt-in (GDPR Art. 7(1): the controller must be able to show the
 * person confirmed) without a mail server, and makes a mail server fail or refuse an address on demand.
 *
 * <p>By default every mail is {@link SendOutcome.Sent}. {@link #refuse(String)} and {@link #failTemporarily(String)}
 * script one address; {@link #answer(Function)} and {@link #answerInBatch(BatchAnswer)} script every other mail. A
 * mail counts as {@link #sent()} only when its answer was {@code Sent}; {@link #attempts()} holds every mail handed
 * over, retries included.
 *
 * <p>Its {@link #openSession() sessions} behave like a mailer on one connection: one batch goes out mail by mail, and
 * each outcome is reported before the next mail is answered.
 *
 * <p>Thread-safe: the dispatcher may send from its own thread while the test reads.
 */
public final class RecordingMailer implements Mailer {
  private final List<MailMessage> sent = new CopyOnWriteArrayList<>();
  private final List<MailMessage> attempts = new CopyOnWriteArrayList<>();
  private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  private final Map<EmailAddress, SendOutcome> byAddress = new ConcurrentHashMap<>();
  private final AtomicInteger sessionsOpened = new AtomicInteger();
  private final AtomicInteger sessionsClosed = new AtomicInteger();
  private volatile BatchAnswer answer = (mail, position) -> new SendOutcome.Sent();

  /** A mailer that accepts every mail. */
  public RecordingMailer() {}

  /**
   * What the mail server answers to one mail of a batch, from the mail and its position in the batch. A test can
   * also act here (move a clock, stop a node) to stage what happens while a mail is on the wire.
   */
  @FunctionalInterface
  public interface BatchAnswer {
    /**
     * Answers one mail.
     *
     * @param mail the mail
     * @param position its position in its batch, from 0
     * @return what became of it
     */
    SendOutcome answer(MailMessage mail, int position);
  }

  /**
   * Answers every mail (but those to an address scripted by {@link #refuse} or {@link #failTemporarily}) with what
   * {@code answer} says, from now on.
   *
   * @param answer the outcome of a mail
   */
  public void answer(Function<MailMessage, SendOutcome> answer) {
    Objects.requireNonNull(answer, "answer");
    this.answer = (mail, position) -> answer.apply(mail);
  }

  /**
   * As {@link #answer(Function)}, told the mail's position in its batch too.
   *
   * @param answer the outcome of a mail
   */
  public void answerInBatch(BatchAnswer answer) {
    this.answer = Objects.requireNonNull(answer, "answer");
  }

  /**
   * Refuses every mail to an address from now on, as a mail server does that knows no such mailbox (SMTP 550,
   * RFC 5321 section 4.2.3): a {@link SendOutcome.PermanentFailure}.
   *
   * @param address the address, in any form {@link EmailAddress#parse} takes
   */
  public void refuse(String address) {
    byAddress.put(EmailAddress.parse(address), new SendOutcome.PermanentFailure("SMTP 550"));
  }

  /**
   * Fails every mail to an address from now on, as a busy mail server does (SMTP 451, RFC 5321 section 4.2.3): a
   * {@link SendOutcome.TransientFailure}, which the dispatcher retries later.
   *
   * @param address the address, in any form {@link EmailAddress#parse} takes
   */
  public void failTemporarily(String address) {
    byAddress.put(EmailAddress.parse(address), new SendOutcome.TransientFailure("SMTP 451"));
  }

  /**
   * Ends {@link #refuse} or {@link #failTemporarily} for an address: its mails get the general answer again.
   *
   * @param address the address, in any form {@link EmailAddress#parse} takes
   */
  public void accept(String address) {
    byAddress.remove(EmailAddress.parse(address));
  }

  @Override
  public List<SendOutcome> send(List<MailMessage> batch) {
    batchSizes.add(batch.size());
    List<SendOutcome> out = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      out.add(answer(batch.get(i), i));
    }
    return out;
  }

  @Override
  public MailerSession openSession() {
    sessionsOpened.incrementAndGet();
    return new MailerSession() {
      @Override
      public List<SendOutcome> send(List<MailMessage> batch) {
        return RecordingMailer.this.send(batch);
      }

      @Override
      public void sendEach(List<MailMessage> batch, OutcomeListener listener) {
        batchSizes.add(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          if (!listener.answered(i, answer(batch.get(i), i))) {
            return;
          }
        }
      }

      @Override
      public void close() {
        sessionsClosed.incrementAndGet();
      }
    };
  }

  private SendOutcome answer(MailMessage mail, int position) {
    SendOutcome scripted = byAddress.get(mail.to());
    SendOutcome outcome = scripted != null ? scripted : answer.answer(mail, position);
    attempts.add(mail);
    if (outcome instanceof SendOutcome.Sent) {
      sent.add(mail);
    }
    return outcome;
  }

  /**
   * The mails accepted so far, oldest first.
   *
   * @return a copy
   */
  public List<MailMessage> sent() {
    return List.copyOf(sent);
  }

  /**
   * The mails accepted so far for one address, oldest first.
   *
   * @param address the address, in any form {@link EmailAddress#parse} takes
   * @return a copy, possibly empty
   */
  public List<MailMessage> sentTo(String address) {
    EmailAddress to = EmailAddress.parse(address);
    return sent.stream().filter(m -> m.to().equals(to)).toList();
  }

  /**
   * Every mail handed to this mailer so far, whatever its answer, oldest first: a mail retried after a failure is in
   * it once per attempt.
   *
   * @return a copy
   */
  public List<MailMessage> attempts() {
    return List.copyOf(attempts);
  }

  /**
   * The mail accepted last.
   *
   * @return the mail
   * @throws AssertionError if none was
   */
  public MailMessage last() {
    List<MailMessage> all = sent();
    if (all.isEmpty()) {
      throw new AssertionError("no mail was sent");
    }
    return all.get(all.size() - 1);
  }

  /**
   * The link to a page in the newest accepted mail to an address that has one: {@code link("ann@example.org",
   * "confirm")} is the confirmation link of her latest request.
   *
   * @param address the address, in any form {@link EmailAddress#parse} takes
   * @param page the page, such as {@code "confirm"}, {@code "preferences"} or {@code "unsubscribe"}
   * @return the link
   * @throws AssertionError if no mail to that address has such a link
   */
  public MailLink link(String address, String page) {
    List<MailMessage> mails = sentTo(address);
    for (int i = mails.size() - 1; i >= 0; i--) {
      var link = MailLink.to(mails.get(i), page);
      if (link.isPresent()) {
        return link.get();
      }
    }
    // Names the page and the number of mails, not the address: test reports are logs too.
    throw new AssertionError(
        "no link to " + page + " in the " + mails.size() + " mail(s) sent to that address");
  }

  /**
   * The size of every batch handed over so far, in order.
   *
   * @return a copy
   */
  public List<Integer> batchSizes() {
    return List.copyOf(batchSizes);
  }

  /**
   * How many sessions were opened so far.
   *
   * @return the count
   */
  public int sessionsOpened() {
    return sessionsOpened.get();
  }

  /**
   * How many of the opened sessions were closed so far.
   *
   * @return the count
   */
  public int sessionsClosed() {
    return sessionsClosed.get();
  }

  /** Forgets the mails and batches recorded so far; the scripted answers and the session counts stay. */
  public void clear() {
    sent.clear();
    attempts.clear();
    batchSizes.clear();
  }
}
