/**
 * Extension points: the consent store, the mailer, mail templates and listeners. These interfaces may evolve between
 * minor versions (stability tier "spi"); the model types they use are in {@code org.optin4j}.
 */
package org.optin4j.spi;
