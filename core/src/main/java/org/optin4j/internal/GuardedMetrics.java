package org.optin4j.internal;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.optin4j.Channel;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OptInMetrics;

/**
 * The application's {@link OptInMetrics} behind a guard: a metrics implementation that throws must never break the
 * signup, confirmation or dispatch it reports, so each failure is swallowed and the first one logged (once: a broken
 * meter fails on every call, and a log line per signup would drown the log). Thread-safe.
 */
public final class GuardedMetrics implements OptInMetrics {
  private static final System.Logger LOG = System.getLogger(GuardedMetrics.class.getName());

  private final OptInMetrics delegate;
  private final AtomicBoolean logged = new AtomicBoolean();

  private GuardedMetrics(OptInMetrics delegate) {
    this.delegate = delegate;
  }

  /**
   * Guards an implementation; {@link OptInMetrics#NONE} stays as it is (it cannot throw).
   *
   * @param metrics the application's implementation
   * @return the guarded one
   */
  public static OptInMetrics of(OptInMetrics metrics) {
    return metrics == OptInMetrics.NONE || metrics instanceof GuardedMetrics
        ? metrics
        : new GuardedMetrics(metrics);
  }

  private void guard(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      if (logged.compareAndSet(false, true)) {
        LOG.log(
            System.Logger.Level.ERROR,
            "metrics implementation {0} threw {1}; its failures are ignored from now on"
                + " (logged once)",
            delegate.getClass().getName(),
            e.getClass().getName());
      }
    }
  }

  @Override
  public void signup(RequestResult outcome) {
    guard(() -> delegate.signup(outcome));
  }

  @Override
  public void confirmed(Set<PurposeId> purposes, Channel channel) {
    guard(() -> delegate.confirmed(purposes, channel));
  }

  @Override
  public void declined(Set<PurposeId> purposes) {
    guard(() -> delegate.declined(purposes));
  }

  @Override
  public void withdrawn(Set<PurposeId> purposes, Channel channel) {
    guard(() -> delegate.withdrawn(purposes, channel));
  }

  @Override
  public void unsubscribed(Channel channel) {
    guard(() -> delegate.unsubscribed(channel));
  }

  @Override
  public void erased(Channel channel) {
    guard(() -> delegate.erased(channel));
  }

  @Override
  public void mailQueued(MailKind kind) {
    guard(() -> delegate.mailQueued(kind));
  }

  @Override
  public void mailSent(MailKind kind, Duration latency) {
    guard(() -> delegate.mailSent(kind, latency));
  }

  @Override
  public void mailFailed(MailKind kind, boolean permanent) {
    guard(() -> delegate.mailFailed(kind, permanent));
  }

  @Override
  public void purged(String result, int count) {
    guard(() -> delegate.purged(result, count));
  }
}
