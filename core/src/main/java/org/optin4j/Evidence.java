package org.optin4j;

/**
 * What the client told us when it asked or confirmed: the IP address and user agent, as allowed by the configured
 * {@link EvidencePolicy}. Either may be {@code null}.
 *
 * <p>Immutable and thread-safe. Values are cut to 45 (IP) and 512 (user agent) characters and stripped of control
 * characters so that they can never smuggle line breaks into logs or exports.
 *
 * @param ip the client IP address, or {@code null}
 * @param userAgent the {@code User-Agent} header, or {@code null}
 */
public record Evidence(String ip, String userAgent) {
  /** No evidence. */
  public static final Evidence NONE = new Evidence(null, null);

  /** Cleans both values. */
  public Evidence {
    ip = clean(ip, 45);
    userAgent = clean(userAgent, 512);
  }

  /**
   * Returns evidence from raw values.
   *
   * @param ip the IP address, or {@code null}
   * @param userAgent the user agent, or {@code null}
   * @return the evidence
   */
  public static Evidence of(String ip, String userAgent) {
    return new Evidence(ip, userAgent);
  }

  private static String clean(String s, int max) {
    if (s == null) {
      return null;
    }
    StringBuilder b = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && b.length() < max; i++) {
      char c = s.charAt(i);
      if (!Character.isISOControl(c)) {
        b.append(c);
      }
    }
    if (b.length() > 0 && Character.isHighSurrogate(b.charAt(b.length() - 1))) {
      // Never keep half a character: databases refuse a lone surrogate.
      b.setLength(b.length() - 1);
    }
    String out = b.toString().strip();
    return out.isEmpty() ? null : out;
  }
}
