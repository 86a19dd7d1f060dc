package org.optin4j;

/**
 * How much request evidence (IP address, user agent) is kept with consent events: the balance between proof (GDPR
 * Art. 7(1)) and data minimisation (Art. 5(1)(c)).
 */
public enum EvidencePolicy {
  /** Keep the IP address and user agent as received. */
  FULL,
  /**
   * Keep the network part only: IPv4 to /24, IPv6 to /48; the user agent cut to 64 characters. Enough to show a
   * request came from a plausible network, not enough to single out a device.
   */
  TRUNCATED,
  /** Keep neither. */
  NONE;

  /**
   * Applies the policy to raw evidence.
   *
   * @param raw the evidence as received
   * @return what may be stored
   */
  public Evidence apply(Evidence raw) {
    return switch (this) {
      case FULL -> raw;
      case NONE -> Evidence.NONE;
      case TRUNCATED -> new Evidence(truncateIp(raw.ip()), truncateAgent(raw.userAgent()));
    };
  }

  private static String truncateAgent(String agent) {
    return agent == null || agent.length() <= 64 ? agent : agent.substring(0, 64);
  }

  static String truncateIp(String ip) {
    if (ip == null) {
      return null;
    }
    if (ip.indexOf(':') >= 0) {
      String[] groups = ip.split(":", -1);
      StringBuilder out = new StringBuilder();
      int kept = 0;
      for (String g : groups) {
        if (kept == 3 || g.isEmpty()) {
          break;
        }
        out.append(g).append(':');
        kept++;
      }
      return out.append(':').toString();
    }
    int last = ip.lastIndexOf('.');
    return last < 0 ? null : ip.substring(0, last) + ".0";
  }
}
