/** The in-memory consent store, for tests and single-node demos. */
package org.optin4j.memory;
