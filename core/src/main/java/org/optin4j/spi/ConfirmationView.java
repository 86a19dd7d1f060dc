package org.optin4j.spi;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.Consent;
import org.optin4j.EmailAddress;

/**
 * What a confirmation page shows, read without locks in one go ({@link ConsentStore.Transaction#confirmationView}):
 * the request, the new address it would confirm if it is an address change, and its subject's consents. Immutable
 * and thread-safe.
 *
 * @param request the request, as {@link RequestStore#findRequest} answers
 * @param addressChange the new address, as {@link RequestStore#addressChange} answers for the request
 * @param consents the consents of the request's subject, as {@link SubjectStore#consents} answers (ordered by purpose
 *     id)
 */
public record ConfirmationView(
    PendingRequest request, Optional<EmailAddress> addressChange, List<Consent> consents) {
  /** Validates the components and copies the list. */
  public ConfirmationView {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(addressChange, "addressChange");
    consents = List.copyOf(consents);
  }
}
