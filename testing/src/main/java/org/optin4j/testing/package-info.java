/**
 * The optin4j testing kit, for the tests of code that uses optin4j (and for optin4j's own): {@link
 * org.optin4j.testing.TestClock}, a clock the test moves; {@link org.optin4j.testing.RecordingMailer}, a mailer that
 * records instead of sending and fails or refuses on demand; {@link org.optin4j.testing.MailLink}, the links of a mail;
 * and {@link org.optin4j.testing.OptInFlow}, which walks a person through the double opt-in in one call.
 *
 * <p>Add it in test scope only. It depends on optin4j-core and the JUnit Jupiter API and on nothing else.
 */
package org.optin4j.testing;
