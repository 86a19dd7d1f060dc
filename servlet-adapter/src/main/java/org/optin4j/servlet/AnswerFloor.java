package org.optin4j.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends an answer no sooner than a deadline, so that how long the answer takes does not tell what the request found
 * (SECURITY.md, "Scrapers enumerating addresses": a signup of a known address must not answer faster than one of a new
 * address).
 *
 * <p>Where the container allows asynchronous processing for the request, the request thread goes back to the
 * container at once and the answer is written from a container thread once the deadline has passed: under a signup
 * load each waiting answer then costs a timer entry, not a parked request thread (a node of 200 threads would otherwise
 * top out at 200 / 50 ms = 4,000 signups a second, and spend them waiting). The deadline is absolute, so the moment
 * the answer leaves does not depend on how long the work before it took. Without asynchronous support (a filter or
 * servlet on the chain that is not {@code async-supported}) the request thread waits instead.
 *
 * <p>Thread-safe. {@link #close()} stops the timer; answers already scheduled are still sent.
 */
final class AnswerFloor implements AutoCloseable {
  /**
   * The "check your inbox" answer to a signup leaves no sooner than this after the POST passed the guards, whatever
   * happened: a new address is written (subject, consents, events, request, outbox), a confirmed one only read, a
   * throttled or rate-limited one not even that, and the difference (about 0.3 ms on H2, more on a remote database)
   * is measurable over the network ({@code SubscribeTimingMeasurement}, BENCHMARKS.md). Well above
   * the work's usual cost, well below what a person notices. The hosted signup and the drop-in both keep it.
   */
  static final long SIGNUP_ANSWER_FLOOR_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private static final System.Logger LOG = System.getLogger(AnswerFloor.class.getName());

  /** The container gives up on an asynchronous request after this; far above any deadline used here. */
  private static final long ASYNC_TIMEOUT_MILLIS = 30_000;

  /** Writes an answer; runs at most once per request. */
  @FunctionalInterface
  interface Answer {
    void send(HttpServletRequest req, HttpServletResponse res) throws IOException;
  }

  private final ScheduledExecutorService timer;

  AnswerFloor() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread thread = new Thread(r, "optin4j-answer-floor");
              thread.setDaemon(true);
              return thread;
            });
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
  }

  /**
   * Sends {@code answer} no sooner than {@code deadline}.
   *
   * @param deadline a {@link System#nanoTime()} value
   * @return whether the answer was sent already ({@code false}: it will be, from another thread)
   */
  boolean answerAt(HttpServletRequest req, HttpServletResponse res, long deadline, Answer answer)
      throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0 || !req.isAsyncSupported() || req.isAsyncStarted() || timer.isShutdown()) {
      waitUntil(deadline);
      answer.send(req, res);
      return true;
    }
    AsyncContext async = req.startAsync(req, res);
    async.setTimeout(ASYNC_TIMEOUT_MILLIS);
    Runnable send =
        () -> {
          try {
            answer.send(req, res);
          } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "optin4j: a delayed answer could not be sent", e);
          } finally {
            async.complete();
          }
        };
    try {
      // The timer thread only hands over: the write itself runs on a container thread, so that a
      // slow client cannot
      // hold up the answers of others.
      timer.schedule(() -> async.start(send), left, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException stopped) {
      // The filter is being destroyed: answer on this thread rather than leave the request hanging.
      waitUntil(deadline);
      send.run();
      return true;
    }
    return false;
  }

  @Override
  public void close() {
    timer.shutdown();
  }

  /**
   * Waits on the calling thread until a {@link System#nanoTime()} deadline, to within microseconds. {@code
   * Thread.sleep} is no good here: on JDK 17 it rounds to whole milliseconds, which keeps a sub-millisecond difference
   * in the work intact.
   */
  static void waitUntil(long deadline) {
    long spin = 200_000; // the last 0.2 ms are spun: parking overshoots by the OS timer slack
    for (long left = deadline - System.nanoTime();
        left > spin;
        left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left - spin);
      if (Thread.currentThread().isInterrupted()) {
        return; // the container is shutting down: answer at once
      }
    }
    while (System.nanoTime() - deadline < 0) {
      Thread.onSpinWait();
    }
  }
}
