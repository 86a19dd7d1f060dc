package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds the client IP: {@code request.getRemoteAddr()}, unless that is a trusted proxy, in which case the right-most
 * {@code X-Forwarded-For} entry that is not a trusted proxy. Only IP literals are parsed: nothing here resolves a host
 * name.
 *
 * <p>Immutable and thread-safe.
 */
final class ClientAddress {
  private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

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
    if (!LITERAL.matcher(s).matches() || (s.indexOf(':') < 0 && s.chars().filter(c -> c == '.').count() != 3)) {
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
