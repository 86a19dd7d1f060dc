/**
 * Mail delivery: the SMTP mailer on Jakarta Mail and the default, localised mail templates.
 * Jakarta Mail types never appear in public signatures.
 */
package org.optin4j.mail;
