package org.optin4j.internal;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.optin4j.ConsentChange;
import org.optin4j.OptInException;
import org.optin4j.spi.ConsentListener;

/**
 * Delivers committed consent changes to listeners off the caller's thread, retrying failures with doubling backoff and
 * reporting the ones that still fail, so that a broken CRM sync neither rolls back a consent nor disappears silently.
 * Also owns the library's small scheduled executor, which the outbox dispatcher shares.
 *
 * <p>Thread-safe.
 */
public final class ListenerNotifier implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ListenerNotifier.class.getName());

  private final List<ConsentListener> listeners;
  private final BiConsumer<ConsentChange, Exception> failureHandler;
  private final int attempts;
  private final Duration backoff;
  private final ScheduledExecutorService executor;
  private final Set<Delivery> inFlight = ConcurrentHashMap.newKeySet();

  /**
   * Creates the notifier and its executor.
   *
   * @param listeners the listeners
   * @param failureHandler told about deliveries that failed every attempt
   * @param attempts attempts per delivery
   * @param backoff the first wait between attempts, doubling
   */
  public ListenerNotifier(
      List<ConsentListener> listeners,
      BiConsumer<ConsentChange, Exception> failureHandler,
      int attempts,
      Duration backoff) {
    this.listeners = List.copyOf(listeners);
    this.failureHandler = failureHandler;
    this.attempts = attempts;
    this.backoff = backoff;
    ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2, new Named());
    // On close, waiting retries are reported rather than run or silently dropped.
    pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    pool.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    this.executor = pool;
  }

  /** Returns the shared executor. */
  public ScheduledExecutorService executor() {
    return executor;
  }

  /**
   * Delivers a change to every listener, asynchronously.
   *
   * @param change the committed change
   */
  public void publish(ConsentChange change) {
    for (ConsentListener l : listeners) {
      Delivery d = new Delivery(l, change);
      inFlight.add(d);
      schedule(d, Duration.ZERO);
    }
  }

  private void schedule(Delivery d, Duration delay) {
    try {
      executor.schedule(() -> attempt(d), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      giveUp(d, new OptInException("optin4j was closed before the listener was told"));
    }
  }

  private void attempt(Delivery d) {
    int n = d.attempt.incrementAndGet();
    try {
      d.listener.onChange(d.change);
      inFlight.remove(d);
    } catch (Exception e) {
      if (n < attempts && !executor.isShutdown()) {
        LOG.log(
            System.Logger.Level.WARNING,
            "consent listener {0} failed (attempt {1} of {2}) for a {3} change: {4}",
            d.listener.getClass().getName(),
            n,
            attempts,
            d.change.type(),
            e.getClass().getName());
        schedule(d, backoff.multipliedBy(1L << Math.min(n - 1, 20)));
      } else {
        giveUp(d, e);
      }
    }
  }

  private void giveUp(Delivery d, Exception e) {
    if (!inFlight.remove(d)) {
      return;
    }
    LOG.log(
        System.Logger.Level.ERROR,
        "consent listener {0} gave up after {1} attempt(s) on a {2} change of subject {3}: {4}",
        d.listener.getClass().getName(),
        d.attempt.get(),
        d.change.type(),
        d.change.subjectId(),
        e.getClass().getName());
    try {
      failureHandler.accept(d.change, e);
    } catch (RuntimeException handlerFailure) {
      LOG.log(
          System.Logger.Level.ERROR,
          "listener failure handler threw " + handlerFailure.getClass().getName());
    }
  }

  /** Stops the executor; deliveries still pending are reported to the failure handler. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    for (Delivery d : List.copyOf(inFlight)) {
      giveUp(d, new OptInException("optin4j was closed before the listener was told"));
    }
  }

  private static final class Delivery {
    final ConsentListener listener;
    final ConsentChange change;
    final AtomicInteger attempt = new AtomicInteger();

    Delivery(ConsentListener listener, ConsentChange change) {
      this.listener = listener;
      this.change = change;
    }
  }

  private static final class Named implements ThreadFactory {
    private final AtomicInteger count = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "optin4j-worker-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }
}
