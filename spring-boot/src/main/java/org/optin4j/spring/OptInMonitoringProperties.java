package org.optin4j.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code optin4j.monitoring.*} settings of the meters ({@link OptInMeterBinder}) and the health indicator
 * ({@link OptInHealthIndicator}). Immutable and thread-safe.
 *
 * @param outboxCountMaxAge how old the store's outbox counts behind the gauges and the health indicator may be: the
 *     store counts the outbox at most once per this period, however often they are read
 * @param outboxStuckAfter the health indicator says {@code OUT_OF_SERVICE} (outbox stuck) when the oldest due mail
 *     has waited longer than this
 * @param failingWindow the health indicator says {@code OUT_OF_SERVICE} (outbox failing) while the last answered mail
 *     failed for good within this period
 */
@ConfigurationProperties("optin4j.monitoring")
public record OptInMonitoringProperties(
    @DefaultValue("30s") Duration outboxCountMaxAge,
    @DefaultValue("15m") Duration outboxStuckAfter,
    @DefaultValue("15m") Duration failingWindow) {}
