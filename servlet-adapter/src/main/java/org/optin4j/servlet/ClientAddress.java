package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds the client IP: {@code request.getRemoteAddr()}, unless that is a trusted proxy, in which case the right-most
 * {@code X-Forwarded-For} entry that is not a trusted proxy. Only IP literals are parsed: nothing here resolves a host
 * name.
 *
 * <p>Immutable and thread-safe.
 */
final class ClientAddress {
  /** An IPv6 literal's characters (an IPv4 tail such as {@code ::ffff:192.0.2.1} included); it always has a colon. */
  private static final Pattern V6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

  /** Dotted-quad IPv4 only: four decimal parts, no leading zeros (which some parsers read as octal). */
  private static final Pattern V4_LITERAL = Pattern.compile("(?:" + OCTET + "\\.){3}" + OCTET);

  private final List<Range> trusted;

  ClientAddress(List<Range> trusted) {
    this.trusted = List.copyOf(trusted);
  }

  String of(HttpServletRequest request) {
    String remote = request.getRemoteAddr();
    if (trusted.isEmpty() || !isTrusted(remote)) {
      return remote;
    }
    List<String> headers = Collections.list(request.getHeaders("X-Forwarded-For"));
    String client = remote;
    for (int h = headers.size() - 1; h >= 0; h--) {
      String[] hops = headers.get(h).split(",");
      for (int i = hops.length - 1; i >= 0; i--) {
        String hop = hops[i].strip();
        if (parse(hop) == null) {
          return client; // garbage: stop at the last hop we could trust
        }
        client = hop;
        if (!isTrusted(hop)) {
          return hop;
        }
      }
    }
    return client;
  }

  /**
   * The rate-limit key of an IPv6 client's site: its /48, the largest prefix providers commonly delegate to one
   * customer (RIPE-690: a /48 for a business, a /56 for a home), who can then use any of its 65,536 /64s. Empty for
   * IPv4 and for what is not an IP literal.
   */
  static Optional<String> siteKey(String ip) {
    byte[] b = parse(ip);
    if (b == null || b.length != 16) {
      return Optional.empty();
    }
    return Optional.of("v6/48:" + HexFormat.of().formatHex(b, 0, 6));
  }

  /** The rate-limit key: the address, IPv6 cut to its /64 (one subscriber line usually owns a whole /64). */
  static String limitKey(String ip) {
    byte[] b = parse(ip);
    if (b == null) {
      return "other:" + ip;
    }
    if (b.length == 16) {
      StringBuilder s = new StringBuilder("v6:");
      for (int i = 0; i < 8; i++) {
        s.append(String.format("%02x", b[i]));
      }
      return s.toString();
    }
    return "v4:" + (b[0] & 0xff) + '.' + (b[1] & 0xff) + '.' + (b[2] & 0xff) + '.' + (b[3] & 0xff);
  }

  private boolean isTrusted(String ip) {
    byte[] b = parse(ip);
    if (b == null) {
      return false;
    }
    for (Range r : trusted) {
      if (r.contains(b)) {
        return true;
      }
    }
    return false;
  }

  static byte[] parse(String ip) {
    if (ip == null) {
      return null;
    }
    String s = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
    if (V4_LITERAL.matcher(s).matches()) {
      byte[] b = new byte[4];
      String[] parts = s.split("\\.");
      for (int i = 0; i < 4; i++) {
        b[i] = (byte) Integer.parseInt(parts[i]);
      }
      return b;
    }
    // Only a string with a colon reaches InetAddress: the JDK parses such a string as an IPv6
    // literal and refuses it
    // if it is not one, never asking DNS. A colon-free string that is not a dotted quad
    // (dead.beef.cafe.face, or
    // 999.1.1.1) would have been looked up as a host name.
    if (s.indexOf(':') < 0 || !V6_LITERAL.matcher(s).matches()) {
      return null;
    }
    try {
      return InetAddress.getByName(s).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** An IP address or CIDR range. */
  record Range(byte[] network, int bits) {
    static Range parse(String text) {
      if (text == null) {
        return null;
      }
      String s = text.strip();
      int slash = s.indexOf('/');
      byte[] addr = ClientAddress.parse(slash < 0 ? s : s.substring(0, slash));
      if (addr == null) {
        return null;
      }
      int bits = addr.length * 8;
      if (slash >= 0) {
        String n = s.substring(slash + 1);
        if (!n.matches("[0-9]{1,3}") || Integer.parseInt(n) > addr.length * 8) {
          return null;
        }
        bits = Integer.parseInt(n);
      }
      return new Range(addr, bits);
    }

    boolean contains(byte[] addr) {
      if (addr.length != network.length) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >>> (i % 8);
        if ((addr[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    }
  }
}
