package org.optin4j;

import java.util.regex.Pattern;

/**
 * How much request evidence (IP address, user agent) is kept with consent events: the balance between proof (GDPR
 * Art. 7(1)) and data minimisation (Art. 5(1)(c)).
 */
public enum EvidencePolicy {
  /** Keep the IP address and user agent as received. */
  FULL,
  /**
   * Keep the network part only: IPv4 to /24, IPv6 to /48 (an IPv4-mapped IPv6 address like IPv4; a port or zone is
   * dropped; a value that is not an IP address is not kept); the user agent cut to 64 characters. Enough to show a
   * request came from a plausible network, not enough to single out a device.
   */
  TRUNCATED,
  /** Keep neither. */
  NONE;

  private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  private static final Pattern IPV4 = Pattern.compile("(?:" + OCTET + "\\.){3}" + OCTET);
  private static final Pattern HEX_GROUP = Pattern.compile("[0-9a-fA-F]{1,4}");

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
    if (agent == null || agent.length() <= 64) {
      return agent;
    }
    // Do not cut a surrogate pair in half.
    return agent.substring(0, Character.isHighSurrogate(agent.charAt(63)) ? 63 : 64);
  }

  /**
   * Truncates an address to its network: IPv4 to /24 ({@code 192.0.2.0}), IPv6 to /48 ({@code 2001:db8:85a3::}),
   * an IPv4-mapped IPv6 address ({@code ::ffff:192.0.2.1}) like IPv4. A port ({@code 192.0.2.1:8080},
   * {@code [2001:db8::1]:443}) and an IPv6 zone ({@code %eth0}) are dropped.
   *
   * @param ip the address as received, or {@code null}
   * @return the network part, or {@code null} if the value is not an IP address (so nothing unminimised is stored)
   */
  static String truncateIp(String ip) {
    if (ip == null) {
      return null;
    }
    String s = ip.strip();
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      if (end < 0) {
        return null;
      }
      s = s.substring(1, end);
    } else if (s.indexOf(':') == s.lastIndexOf(':') && s.indexOf(':') > 0) {
      s = s.substring(0, s.indexOf(':')); // IPv4 with a port
    }
    int zone = s.indexOf('%');
    if (zone >= 0) {
      s = s.substring(0, zone);
    }
    if (IPV4.matcher(s).matches()) {
      return s.substring(0, s.lastIndexOf('.')) + ".0";
    }
    int[] groups = ipv6Groups(s);
    if (groups == null) {
      return null;
    }
    boolean mapped =
        groups[0] == 0
            && groups[1] == 0
            && groups[2] == 0
            && groups[3] == 0
            && groups[4] == 0
            && groups[5] == 0xffff;
    if (mapped) {
      return "::ffff:"
          + (groups[6] >> 8)
          + '.'
          + (groups[6] & 0xff)
          + '.'
          + (groups[7] >> 8)
          + ".0";
    }
    int kept = 3;
    while (kept > 0 && groups[kept - 1] == 0) {
      kept--;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < kept; i++) {
      out.append(Integer.toHexString(groups[i])).append(':');
    }
    return kept == 0 ? "::" : out.append(':').toString();
  }

  /** Parses an IPv6 address (RFC 4291 section 2.2 text forms) into its eight 16-bit groups, or {@code null}. */
  private static int[] ipv6Groups(String s) {
    if (s.indexOf(':') < 0) {
      return null;
    }
    String text = s;
    int[] v4 = null;
    int lastColon = text.lastIndexOf(':');
    if (text.indexOf('.', lastColon) >= 0) {
      String tail = text.substring(lastColon + 1);
      if (!IPV4.matcher(tail).matches()) {
        return null;
      }
      String[] octets = tail.split("\\.");
      v4 =
          new int[] {
            Integer.parseInt(octets[0]) << 8 | Integer.parseInt(octets[1]),
            Integer.parseInt(octets[2]) << 8 | Integer.parseInt(octets[3])
          };
      text = text.substring(0, lastColon + 1) + "0:0"; // placeholder groups, replaced below
    }
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    String head = gap >= 0 ? text.substring(0, gap) : text;
    String tail = gap >= 0 ? text.substring(gap + 2) : "";
    String[] left = head.isEmpty() ? new String[0] : head.split(":", -1);
    String[] right = tail.isEmpty() ? new String[0] : tail.split(":", -1);
    if (gap < 0 ? left.length != 8 : left.length + right.length > 7) {
      return null;
    }
    int[] groups = new int[8];
    for (int i = 0; i < left.length; i++) {
      if (!HEX_GROUP.matcher(left[i]).matches()) {
        return null;
      }
      groups[i] = Integer.parseInt(left[i], 16);
    }
    for (int i = 0; i < right.length; i++) {
      if (!HEX_GROUP.matcher(right[i]).matches()) {
        return null;
      }
      groups[8 - right.length + i] = Integer.parseInt(right[i], 16);
    }
    if (v4 != null) {
      groups[6] = v4[0];
      groups[7] = v4[1];
    }
    return groups;
  }
}
