/**
 * Texts in the shipped languages with key-by-key overrides by the app: one mechanism for the hosted pages, the notices
 * and the mails ({@link org.optin4j.text.TextBundle}).
 */
package org.optin4j.text;
