package org.optin4j.spi;

import java.util.Locale;
import java.util.Objects;
import org.optin4j.EmailAddress;

/**
 * Names the inbox an address delivers to, for the cap on confirmation mails: addresses with one cap key share one
 * daily cap and one minimum interval (security: the cap protects the victims of list-bombing, OWASP Forgot Password
 * and Denial of Service cheat sheets). A person's consents are still kept under the address exactly as typed and
 * normalised by {@link EmailAddress#parse}; the cap key is never stored in clear and never used as an address.
 *
 * <p>The default, {@link #providerAware()}, treats as one inbox what mailbox providers deliver to one inbox:
 *
 * <ul>
 *   <li>the address lower-cased (as {@link EmailAddress} already is);
 *   <li>a sub-address tag dropped, for every domain: everything from the first {@code +} of the local part up to the
 *       {@code @} ({@code victim+1@example.org} counts as {@code victim@example.org}; RFC 5233 subaddressing, offered
 *       by Gmail, Outlook.com, iCloud, Fastmail, Proton and most self-hosted servers);
 *   <li>for {@code gmail.com} and {@code googlemail.com}, the dots of the local part dropped (Gmail ignores them) and
 *       {@code googlemail.com} counted as {@code gmail.com} (the same mailboxes).
 * </ul>
 *
 * <p>On a domain that uses {@code +} as an ordinary character, two people can share a cap key: each then reaches the
 * cap sooner, never mails to the other. An operator who knows more (say, a domain whose provider ignores dots too,
 * or one with {@code -} as its tag separator) sets its own strategy on {@code OptIn.Builder.capKeyStrategy}.
 *
 * <p>Implementations must be thread-safe, fast (they run in every signup's transaction), and give the same key for
 * the same address every time, on every node: the key names the cap's slots in the store.
 */
@FunctionalInterface
public interface CapKeyStrategy {

  /**
   * Returns the key of the inbox an address delivers to.
   *
   * @param address the parsed address
   * @return the cap key, not empty; equal for addresses that deliver to one inbox
   */
  String capKey(EmailAddress address);

  /**
   * Returns the default strategy described above: lower-cased, {@code +tag} dropped for every domain, dots dropped
   * and {@code googlemail.com} read as {@code gmail.com} for Gmail.
   *
   * @return the provider-aware strategy, immutable and thread-safe
   */
  static CapKeyStrategy providerAware() {
    return CapKeyStrategy::providerAwareKey;
  }

  /**
   * Returns a strategy that counts every address as its own inbox (what earlier releases did): for a deployment whose
   * addresses are known not to share inboxes.
   *
   * @return the exact-address strategy, immutable and thread-safe
   */
  static CapKeyStrategy exactAddress() {
    return EmailAddress::value;
  }

  private static String providerAwareKey(EmailAddress address) {
    Objects.requireNonNull(address, "address");
    // EmailAddress is lower-case already (ASCII but for an RFC 6531 local part); lowering again
    // keeps the rule true
    // should its normal form change.
    String local = address.localPart().toLowerCase(Locale.ROOT);
    String domain = address.domain().toLowerCase(Locale.ROOT);
    int plus = local.indexOf('+');
    if (plus >= 0) {
      local = local.substring(0, plus);
    }
    if (domain.equals("gmail.com") || domain.equals("googlemail.com")) {
      local = local.replace(".", "");
      domain = "gmail.com";
    }
    return local + '@' + domain;
  }
}
