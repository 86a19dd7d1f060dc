package org.optin4j.rights;

import java.util.Objects;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;

/**
 * The outcome of a "this was not me" link ({@link SubjectRights#restoreAddress}), mailed to the old address after a
 * change of address: whoever confirmed the change may have held a forwarded link and an address of their own.
 */
public sealed interface AddressRestore {

  /**
   * The old address is the subject's again; every link sent for the other address stops working, and a receipt with
   * fresh links is queued for the restored address.
   *
   * @param subject the subject
   * @param address the restored address
   */
  record Restored(SubjectId subject, EmailAddress address) implements AddressRestore {
    /** Validates the components. */
    public Restored {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(address, "address");
    }
  }

  /**
   * The link is not valid: bad, expired, used, for a subject that is gone, superseded by a later change of address,
   * or the old address belongs to someone else by now. Nothing changed.
   */
  record Invalid() implements AddressRestore {}
}
