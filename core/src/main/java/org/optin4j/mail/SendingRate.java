package org.optin4j.mail;

import java.util.Objects;

/**
 * How fast one mailer may send: messages per second, sliding-window caps per minute and per hour (a mail provider's
 * quota, for example Amazon SES's per-second rate or a shared host's hourly cap), and how many SMTP connections the
 * dispatcher keeps open in parallel. A cap of {@code 0} means none.
 *
 * <p>The rate is shared by every node that dispatches from one store: a node takes permits from the store before each
 * mail goes out (see {@link org.optin4j.spi.SendRateStore}), so that two nodes together stay within it. Every outbox
 * mail takes a permit, the confirmation mail a person waits for as much as a campaign's, because the provider counts
 * them all; a campaign reserves permits only a short time ahead, so a confirmation waits behind at most that, never
 * behind the whole campaign (see {@code docs/sending-rates.md}).
 *
 * <p>Immutable and thread-safe; validates itself.
 *
 * @param name the rate's name in the store: nodes that share a name share the permits (one name per mail provider
 *     account), 1 to 100 characters of letters, digits, {@code .}, {@code _} and {@code -}
 * @param connections SMTP connections used in parallel, 1 to 64
 * @param perSecond messages per second, 0 for no limit
 * @param perMinute messages in any 60 seconds, 0 for no cap
 * @param perHour messages in any 3600 seconds, 0 for no cap
 */
public record SendingRate(String name, int connections, int perSecond, int perMinute, int perHour) {

  /** The name used unless one is given. */
  public static final String DEFAULT_NAME = "default";

  /** Parallel connections unless set. */
  public static final int DEFAULT_CONNECTIONS = 4;

  /** Validates the settings. */
  public SendingRate {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9._-]{1,100}")) {
      throw new IllegalArgumentException(
          "sending rate name must be 1 to 100 letters, digits, '.', '_' or '-', was " + name);
    }
    if (connections < 1 || connections > 64) {
      throw new IllegalArgumentException(
          "sending rate connections must be 1 to 64, was " + connections);
    }
    nonNegative(perSecond, "perSecond");
    nonNegative(perMinute, "perMinute");
    nonNegative(perHour, "perHour");
  }

  private static void nonNegative(int value, String field) {
    if (value < 0) {
      throw new IllegalArgumentException(
          "sending rate " + field + " must be 0 (no cap) or more, was " + value);
    }
  }

  /**
   * Returns no limit, over {@value #DEFAULT_CONNECTIONS} connections: the default.
   *
   * @return the rate
   */
  public static SendingRate unlimited() {
    return new SendingRate(DEFAULT_NAME, DEFAULT_CONNECTIONS, 0, 0, 0);
  }

  /**
   * Returns a rate of {@code messages} a second, without minute or hour caps, over
   * {@value #DEFAULT_CONNECTIONS} connections.
   *
   * @param messages messages per second, 1 or more
   * @return the rate
   */
  public static SendingRate perSecond(int messages) {
    if (messages < 1) {
      throw new IllegalArgumentException(
          "sending rate perSecond must be 1 or more, was " + messages);
    }
    return new SendingRate(DEFAULT_NAME, DEFAULT_CONNECTIONS, messages, 0, 0);
  }

  /**
   * Returns this rate with another name.
   *
   * @param newName the name
   * @return the rate
   */
  public SendingRate withName(String newName) {
    return new SendingRate(newName, connections, perSecond, perMinute, perHour);
  }

  /**
   * Returns this rate with another number of parallel connections.
   *
   * @param count 1 to 64
   * @return the rate
   */
  public SendingRate withConnections(int count) {
    return new SendingRate(name, count, perSecond, perMinute, perHour);
  }

  /**
   * Returns this rate with another per-second limit.
   *
   * @param messages messages per second, 0 for none
   * @return the rate
   */
  public SendingRate withPerSecond(int messages) {
    return new SendingRate(name, connections, messages, perMinute, perHour);
  }

  /**
   * Returns this rate with another cap on any 60 seconds.
   *
   * @param messages the cap, 0 for none
   * @return the rate
   */
  public SendingRate withPerMinute(int messages) {
    return new SendingRate(name, connections, perSecond, messages, perHour);
  }

  /**
   * Returns this rate with another cap on any hour.
   *
   * @param messages the cap, 0 for none
   * @return the rate
   */
  public SendingRate withPerHour(int messages) {
    return new SendingRate(name, connections, perSecond, perMinute, messages);
  }

  /**
   * Returns the limits as the store keeps them.
   *
   * @return the name and the per-second, per-minute and per-hour limits
   */
  public org.optin4j.spi.SendRateStore.Limits limits() {
    return new org.optin4j.spi.SendRateStore.Limits(name, perSecond, perMinute, perHour);
  }

  /**
   * Tells whether any limit is set; without one, nodes take no permits.
   *
   * @return {@code true} if mail is paced
   */
  public boolean isLimited() {
    return perSecond > 0 || perMinute > 0 || perHour > 0;
  }

  /**
   * Returns the sustained rate the limits allow over a long run, in messages per second: the smallest of the
   * per-second limit and the minute and hour caps spread over their windows.
   *
   * @return messages per second, {@code Double.POSITIVE_INFINITY} if not limited
   */
  public double sustainedPerSecond() {
    double rate = Double.POSITIVE_INFINITY;
    if (perSecond > 0) {
      rate = perSecond;
    }
    if (perMinute > 0) {
      rate = Math.min(rate, perMinute / 60.0);
    }
    if (perHour > 0) {
      rate = Math.min(rate, perHour / 3600.0);
    }
    return rate;
  }
}
