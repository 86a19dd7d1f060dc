/**
 * The JDBC consent store: {@link org.optin4j.jdbc.JdbcConsentStore} for H2, PostgreSQL and MariaDB, with its versioned
 * DDL shipped as SQL files under {@code org/optin4j/jdbc/<dialect>/}.
 *
 * <p>Only {@code java.sql} and {@code javax.sql} are used; the application supplies the driver and the pool. Every
 * type apart from {@code JdbcConsentStore} (and its nested builder and dialect) and
 * {@link org.optin4j.jdbc.TransactionBinding}, by which a framework lets the store join its transactions, is internal
 * to this package.
 */
package org.optin4j.jdbc;
