package org.optin4j.spi;

import java.util.Objects;
import java.util.Optional;
import org.optin4j.EmailAddress;

/**
 * A request with the new address it would confirm, if it is an address change: what a confirmation reads first
 * ({@link RequestStore#requestAndChange}). Immutable and thread-safe.
 *
 * @param request the request
 * @param addressChange the new address, as {@link RequestStore#addressChange} answers for the request
 */
public record RequestAndChange(PendingRequest request, Optional<EmailAddress> addressChange) {
  /** Validates the components. */
  public RequestAndChange {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(addressChange, "addressChange");
  }
}
