package org.optin4j.spring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.optin4j.Channel;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.operations.OutboxStatus;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OptInMetrics;

/**
 * optin4j's {@link OptInMetrics} as Micrometer meters, all named {@code optin4j.*}: counters of signups by outcome,
 * confirmations, declines, withdrawals, unsubscribes, erasures, mails queued, sent and failed by kind, and retention
 * results; a timer of dispatch latency; gauges of the outbox backlog, its failed mails and the age of its oldest due
 * mail. Tags are bounded: outcome, purpose (from the catalog), channel, mail kind, failure, result; never an address
 * or a subject id. The README's Spring Boot section lists every meter.
 *
 * <p>Counts come after the store's commit (see {@link OptInMetrics}); calls before Micrometer {@linkplain
 * #bindTo bound} this binder to a registry are dropped. The gauges read {@code Operations.outboxStatus(maxAge)}, so
 * the store counts the outbox at most once per {@code maxAge} however often the registry is scraped; a gauge whose
 * store read fails answers {@code NaN}.
 *
 * <p>Thread-safe.
 */
public class OptInMeterBinder implements MeterBinder, OptInMetrics {
  private final Supplier<OptIn> optIn;
  private final Duration outboxMaxAge;
  private final Clock clock;
  private volatile MeterRegistry registry;

  /**
   * Creates the binder.
   *
   * @param optIn the service, looked up when a gauge is read (the service reports to this binder, so it is made
   *     after it)
   * @param outboxMaxAge how old the outbox counts behind the gauges may be
   * @param clock the clock of the oldest due mail's age
   */
  public OptInMeterBinder(Supplier<OptIn> optIn, Duration outboxMaxAge, Clock clock) {
    this.optIn = optIn;
    this.outboxMaxAge = outboxMaxAge;
    this.clock = clock;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    gauge(
        registry,
        "optin4j.outbox.backlog",
        "Mails not yet sent (queued or claimed)",
        s -> s.backlog());
    gauge(
        registry,
        "optin4j.outbox.failed",
        "Mails failed for good, still on file (outbox retention)",
        s -> s.failed());
    TimeGauge.builder(
            "optin4j.outbox.oldest.due.age",
            this,
            TimeUnit.SECONDS,
            b ->
                status(
                    s ->
                        s.oldestDueAge(clock.instant())
                            .map(d -> d.toMillis() / 1000.0)
                            .orElse(Double.NaN)))
        .description(
            "How long the oldest due mail has waited at most, as this node's dispatcher knows it")
        .register(registry);
    this.registry = registry;
  }

  private void gauge(
      MeterRegistry registry,
      String name,
      String description,
      ToDoubleFunction<OutboxStatus> value) {
    Gauge.builder(name, this, b -> status(value)).description(description).register(registry);
  }

  private double status(ToDoubleFunction<OutboxStatus> value) {
    try {
      return value.applyAsDouble(optIn.get().operations().outboxStatus(outboxMaxAge));
    } catch (RuntimeException e) {
      return Double
          .NaN; // the store did not answer: the health indicator says so, the gauge has no value
    }
  }

  private void count(String name, String description, Tags tags, double amount) {
    MeterRegistry r = registry;
    if (r != null) {
      Counter.builder(name).description(description).tags(tags).register(r).increment(amount);
    }
  }

  private void perPurpose(String name, String description, Set<PurposeId> purposes, Tags tags) {
    for (PurposeId p : purposes) {
      count(name, description, tags.and("purpose", p.value()), 1);
    }
  }

  private static String tag(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The outcome tag of a signup: its result type in snake case ({@code already_confirmed}), never its content. */
  static String outcome(RequestResult result) {
    return result
        .getClass()
        .getSimpleName()
        .replaceAll("([a-z])([A-Z])", "$1_$2")
        .toLowerCase(Locale.ROOT);
  }

  @Override
  public void signup(RequestResult outcome) {
    count("optin4j.signups", "Signups by outcome", Tags.of("outcome", outcome(outcome)), 1);
  }

  @Override
  public void confirmed(Set<PurposeId> purposes, Channel channel) {
    perPurpose(
        "optin4j.confirmations", "Purposes confirmed", purposes, Tags.of("channel", tag(channel)));
  }

  @Override
  public void declined(Set<PurposeId> purposes) {
    perPurpose(
        "optin4j.declines", "Purposes declined in a confirmation link", purposes, Tags.empty());
  }

  @Override
  public void withdrawn(Set<PurposeId> purposes, Channel channel) {
    perPurpose(
        "optin4j.withdrawals", "Purposes withdrawn", purposes, Tags.of("channel", tag(channel)));
  }

  @Override
  public void unsubscribed(Channel channel) {
    count("optin4j.unsubscribes", "Unsubscribes honoured", Tags.of("channel", tag(channel)), 1);
  }

  @Override
  public void erased(Channel channel) {
    count("optin4j.erasures", "Subjects erased", Tags.of("channel", tag(channel)), 1);
  }

  @Override
  public void mailQueued(MailKind kind) {
    count("optin4j.mails.queued", "Mails queued in the outbox", Tags.of("kind", tag(kind)), 1);
  }

  @Override
  public void mailSent(MailKind kind, Duration latency) {
    // The latency first: whoever sees the sent count move finds the mail's latency recorded too.
    MeterRegistry r = registry;
    if (r != null) {
      Timer.builder("optin4j.mails.dispatch.latency")
          .description("From queueing to the server's acceptance, retries included")
          .tags("kind", tag(kind))
          .register(r)
          .record(latency);
    }
    count("optin4j.mails.sent", "Mails the server accepted", Tags.of("kind", tag(kind)), 1);
  }

  @Override
  public void mailFailed(MailKind kind, boolean permanent) {
    count(
        "optin4j.mails.failed",
        "Mails failed: transient (retried) or permanent",
        Tags.of("kind", tag(kind), "failure", permanent ? "permanent" : "transient"),
        1);
  }

  @Override
  public void purged(String result, int count) {
    count(
        "optin4j.purged", "What retention runs removed or ended", Tags.of("result", result), count);
  }
}
