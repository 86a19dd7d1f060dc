/**
 * Implementation details of optin4j (stability tier "internal"): not part of the API, may change in any release.
 * Nimbus JOSE+JWT is used here and nowhere else.
 */
package org.optin4j.internal;
