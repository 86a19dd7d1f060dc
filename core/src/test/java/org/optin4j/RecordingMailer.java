package org.optin4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.SendOutcome;

/** A mailer that records what it is asked to send and answers as scripted. Thread-safe. */
public final class RecordingMailer implements Mailer {
  private final List<MailMessage> sent = new CopyOnWriteArrayList<>();
  private final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
  private volatile Function<MailMessage, SendOutcome> answer = m -> new SendOutcome.Sent();
  private final java.util.concurrent.atomic.AtomicInteger sessionsOpened = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger sessionsClosed = new java.util.concurrent.atomic.AtomicInteger();

  /** Sessions opened so far and, of those, closed. */
  public int[] sessions() {
    return new int[] {sessionsOpened.get(), sessionsClosed.get()};
  }

  @Override
  public org.optin4j.spi.MailerSession openSession() {
    sessionsOpened.incrementAndGet();
    return new org.optin4j.spi.MailerSession() {
      @Override
      public List<SendOutcome> send(List<MailMessage> batch) {
        return RecordingMailer.this.send(batch);
      }

      /** Like a mailer on one connection: one batch, each outcome reported as it comes. */
      @Override
      public void sendEach(List<MailMessage> batch, OutcomeListener listener) {
        batchSizes.add(batch.size());
        for (int i = 0; i < batch.size(); i++) {
          SendOutcome o = answer.apply(batch.get(i));
          if (o instanceof SendOutcome.Sent) {
            sent.add(batch.get(i));
          }
          if (!listener.answered(i, o)) {
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

  public void answer(Function<MailMessage, SendOutcome> newAnswer) {
    this.answer = newAnswer;
  }

  public List<MailMessage> sent() {
    return List.copyOf(sent);
  }

  public List<Integer> batchSizes() {
    return List.copyOf(batchSizes);
  }

  public MailMessage last() {
    return sent.get(sent.size() - 1);
  }

  public void clear() {
    sent.clear();
    batchSizes.clear();
  }

  @Override
  public List<SendOutcome> send(List<MailMessage> batch) {
    batchSizes.add(batch.size());
    List<SendOutcome> out = new ArrayList<>();
    for (MailMessage m : batch) {
      SendOutcome o = answer.apply(m);
      if (o instanceof SendOutcome.Sent) {
        sent.add(m);
      }
      out.add(o);
    }
    return out;
  }
}
