package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verifyNoInteractions;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AnswerFloorTest {
  // Long enough that a loaded machine cannot pass it before answerAt even looks at the clock.
  private static final long FLOOR = TimeUnit.MILLISECONDS.toNanos(300);

  private final AnswerFloor floor = new AnswerFloor();
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private final CountDownLatch completed = new CountDownLatch(1);
  private volatile boolean closeOnStartAsync;

  /** The floor only decides when the answer leaves: writing it is the caller's. */
  private final HttpServletResponse response = mock(HttpServletResponse.class);

  @AfterEach
  void stop() {
    floor.close();
    verifyNoInteractions(response);
  }

  @Test
  void answerAtWhenAsyncSupportedThenRequestThreadReturnsAtOnceAndAnswerLeavesAfterTheDeadline()
      throws Exception {
    HttpServletRequest req = request(true);
    AtomicLong sentAt = new AtomicLong();
    AtomicReference<Thread> sentOn = new AtomicReference<>();
    long deadline = System.nanoTime() + FLOOR;

    boolean sent =
        floor.answerAt(
            req,
            response,
            deadline,
            (rq, rs) -> {
              sentAt.set(System.nanoTime());
              sentOn.set(Thread.currentThread());
              calls.add("send");
            });
    long returnedAt = System.nanoTime();

    assertFalse(sent, "answered later, from another thread");
    assertTrue(returnedAt < deadline, "the request thread did not wait for the deadline");
    assertTrue(completed.await(5, TimeUnit.SECONDS), "the asynchronous request was completed");
    assertTrue(
        sentAt.get() >= deadline, "the answer left " + (deadline - sentAt.get()) + " ns early");
    assertEquals(
        "container", sentOn.get().getName(), "written on a container thread, not the timer's");
    assertEquals(List.of("startAsync", "setTimeout", "start", "send", "complete"), calls);
  }

  @Test
  void answerAtWhenAsyncNotSupportedThenWaitsOnTheRequestThread() throws Exception {
    HttpServletRequest req = request(false);
    long deadline = System.nanoTime() + FLOOR;
    Thread caller = Thread.currentThread();
    AtomicReference<Thread> sentOn = new AtomicReference<>();

    boolean sent =
        floor.answerAt(req, response, deadline, (rq, rs) -> sentOn.set(Thread.currentThread()));

    assertTrue(sent);
    assertTrue(System.nanoTime() >= deadline);
    assertSame(caller, sentOn.get());
    assertFalse(calls.contains("startAsync"));
  }

  @Test
  void answerAtWhenAnswerFailsThenRequestIsCompletedAnyway() throws Exception {
    floor.answerAt(
        request(true),
        response,
        System.nanoTime() + FLOOR,
        (rq, rs) -> {
          throw new IOException("client went away");
        });

    assertTrue(completed.await(5, TimeUnit.SECONDS));
  }

  @Test
  void answerAtWhenClosedThenWaitsOnTheRequestThread() throws Exception {
    floor.close();
    long deadline = System.nanoTime() + FLOOR;

    assertTrue(floor.answerAt(request(true), response, deadline, (rq, rs) -> calls.add("send")));

    assertTrue(System.nanoTime() >= deadline);
    assertEquals(List.of("send"), calls);
  }

  @Test
  void answerAtWhenClosedWhileGoingAsyncThenAnswersOnTheRequestThreadAndCompletes()
      throws Exception {
    closeOnStartAsync = true;
    long deadline = System.nanoTime() + FLOOR;

    boolean sent = floor.answerAt(request(true), response, deadline, (rq, rs) -> calls.add("send"));

    assertTrue(sent, "answered on this thread: the timer no longer takes work");
    assertTrue(System.nanoTime() >= deadline);
    assertTrue(
        completed.await(1, TimeUnit.SECONDS),
        "the asynchronous request was completed, not left hanging");
    assertEquals(List.of("startAsync", "setTimeout", "send", "complete"), calls);
  }

  @Test
  void answerAtWhenDeadlinePassedThenAnswersAtOnce() throws Exception {
    assertTrue(
        floor.answerAt(
            request(true), response, System.nanoTime() - 1, (rq, rs) -> calls.add("send")));

    assertEquals(List.of("send"), calls);
  }

  private HttpServletRequest request(boolean asyncSupported) {
    AsyncContext async =
        (AsyncContext)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {AsyncContext.class},
                (proxy, method, args) -> {
                  switch (method.getName()) {
                    case "setTimeout" -> calls.add("setTimeout");
                    case "start" -> {
                      calls.add("start");
                      Runnable work = (Runnable) args[0];
                      Thread t = new Thread(work, "container");
                      t.start();
                    }
                    case "complete" -> {
                      calls.add("complete");
                      completed.countDown();
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                  }
                  return null;
                });
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "isAsyncSupported" -> asyncSupported;
                  case "isAsyncStarted" -> calls.contains("startAsync");
                  case "startAsync" -> {
                    calls.add("startAsync");
                    if (closeOnStartAsync) {
                      floor.close(); // the filter is destroyed in the very moment the request goes
                      // asynchronous
                    }
                    yield async;
                  }
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }
}
