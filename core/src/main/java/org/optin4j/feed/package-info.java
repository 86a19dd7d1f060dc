/**
 * The durable, ordered feed of consent changes: {@link org.optin4j.feed.Feed}, read with an opaque {@link
 * org.optin4j.feed.FeedCursor}.
 */
package org.optin4j.feed;
