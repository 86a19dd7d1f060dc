package org.optin4j.lists;

import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.search.FlagTerm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;

/**
 * Reads bounce and complaint reports from a mailbox (the one the bounce domain's mail goes to) over IMAP (RFC 9051) or
 * POP3 (RFC 1939) and hands each to {@link Bounces#report}: on IMAP the unseen messages of a folder, on POP3 every
 * message. A message that was handled, whatever the outcome (a report set aside is kept in the store), is deleted from
 * the mailbox; one whose handling failed (the store was down) is left for the next poll. One bad message never stops
 * the others, and no exception leaves {@link #poll} except for the mailbox itself being unreachable.
 *
 * <p>Jakarta Mail does the protocol; none of its types is in this API. Immutable and thread-safe; each poll opens its
 * own connection.
 */
public final class MailboxReports {
  /** The most bytes of one message that are read; the rest of a larger one is not needed to tell what it is. */
  static final int MAX_MESSAGE = 4 * 1024 * 1024;

  private static final System.Logger LOG = System.getLogger(MailboxReports.class.getName());

  /** The mailbox protocols. */
  public enum Protocol {
    /** IMAP over TLS (port 993). */
    IMAPS("imaps"),
    /** IMAP, plain or with STARTTLS required by {@link Builder#startTls} (port 143). */
    IMAP("imap"),
    /** POP3 over TLS (port 995). */
    POP3S("pop3s"),
    /** POP3, plain or with STARTTLS (port 110). */
    POP3("pop3");

    private final String name;

    Protocol(String name) {
      this.name = name;
    }
  }

  /**
   * What one poll did.
   *
   * @param read messages read from the mailbox
   * @param acted reports that changed consents (undeliverable, soft bounce, complaint)
   * @param setAside reports set aside
   * @param nothingToDo reports that asked for nothing
   * @param failed messages left in the mailbox because reading or handling them failed
   */
  public record PollResult(int read, int acted, int setAside, int nothingToDo, int failed) {}

  private final Protocol protocol;
  private final String host;
  private final int port;
  private final String username;
  private final String password;
  private final String folder;
  private final boolean startTls;
  private final int maxMessages;
  private final Duration timeout;

  private MailboxReports(Builder b) {
    this.protocol = b.protocol;
    this.host = b.host;
    this.port = b.port;
    this.username = b.username;
    this.password = b.password;
    this.folder = b.folder;
    this.startTls = b.startTls;
    this.maxMessages = b.maxMessages;
    this.timeout = b.timeout;
  }

  /**
   * Starts a mailbox reader.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the mailbox once and handles what it holds.
   *
   * @param bounces where the reports go ({@code optIn.bounces()})
   * @return what it did
   * @throws org.optin4j.OptInException if the mailbox cannot be opened (the next poll tries again)
   */
  public PollResult poll(Bounces bounces) {
    Objects.requireNonNull(bounces, "bounces");
    Properties props = new Properties();
    String p = "mail." + protocol.name + ".";
    long ms = timeout.toMillis();
    props.setProperty(p + "connectiontimeout", Long.toString(ms));
    props.setProperty(p + "timeout", Long.toString(ms));
    props.setProperty(p + "writetimeout", Long.toString(ms));
    if (startTls) {
      props.setProperty(p + "starttls.enable", "true");
      props.setProperty(p + "starttls.required", "true");
    }
    if (protocol == Protocol.IMAPS || protocol == Protocol.POP3S || startTls) {
      props.setProperty(p + "ssl.checkserveridentity", "true");
    }
    Session session = Session.getInstance(props);
    int read = 0;
    int acted = 0;
    int aside = 0;
    int nothing = 0;
    int failed = 0;
    try (Store store = session.getStore(protocol.name)) {
      store.connect(host, port, username, password);
      Folder box = store.getFolder(folder);
      box.open(Folder.READ_WRITE);
      try {
        Message[] messages =
            protocol == Protocol.IMAP || protocol == Protocol.IMAPS
                ? box.search(new FlagTerm(new Flags(Flags.Flag.SEEN), false))
                : box.getMessages();
        for (Message m : messages) {
          if (read >= maxMessages) {
            break;
          }
          read++;
          ReportOutcome outcome;
          try {
            outcome = bounces.report(raw(m));
          } catch (MessagingException | IOException | RuntimeException e) {
            // Left in the mailbox for the next poll (on IMAP marked unseen again), never lost.
            LOG.log(
                System.Logger.Level.WARNING,
                "bounce mailbox: a message could not be handled: {0}",
                e.getClass().getName());
            failed++;
            unsee(m);
            continue;
          }
          if (outcome instanceof ReportOutcome.SetAside
              || outcome instanceof ReportOutcome.Refused) {
            aside++;
          } else if (outcome instanceof ReportOutcome.NothingToDo) {
            nothing++;
          } else {
            acted++;
          }
          m.setFlag(Flags.Flag.DELETED, true);
        }
      } finally {
        box.close(true);
      }
    } catch (MessagingException e) {
      throw new MailboxException(
          "bounce mailbox "
              + protocol.name().toLowerCase(Locale.ROOT)
              + " "
              + host
              + ":"
              + port
              + " unreachable: "
              + e.getClass().getSimpleName(),
          e);
    }
    return new PollResult(read, acted, aside, nothing, failed);
  }

  private static void unsee(Message m) {
    try {
      m.setFlag(Flags.Flag.SEEN, false);
    } catch (MessagingException | RuntimeException e) {
      // POP3 has no flags; the message stays anyway.
    }
  }

  private static byte[] raw(Message m) throws MessagingException, IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      m.writeTo(new Bounded(out));
    } catch (Bounded.Full e) {
      // enough read
    }
    return out.toByteArray();
  }

  /** Stops a message's copy at {@link #MAX_MESSAGE} bytes. */
  private static final class Bounded extends OutputStream {
    private final ByteArrayOutputStream out;

    Bounded(ByteArrayOutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      if (out.size() >= MAX_MESSAGE) {
        throw new Full();
      }
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int room = MAX_MESSAGE - out.size();
      out.write(b, off, Math.min(room, len));
      if (len > room) {
        throw new Full();
      }
    }

    private static final class Full extends IOException {
      private static final long serialVersionUID = 1L;

      Full() {
        super("message larger than the limit", null);
      }
    }
  }

  /** The mailbox could not be opened or read. */
  public static final class MailboxException extends org.optin4j.OptInException {
    private static final long serialVersionUID = 1L;

    MailboxException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Builds a {@link MailboxReports}. Not thread-safe. */
  public static final class Builder {
    private Protocol protocol = Protocol.IMAPS;
    private String host;
    private int port = -1;
    private String username;
    private String password;
    private String folder = "INBOX";
    private boolean startTls;
    private int maxMessages = 500;
    private Duration timeout = Duration.ofSeconds(30);

    private Builder() {}

    /**
     * Sets the server (required).
     *
     * @param protocol the protocol (default {@link Protocol#IMAPS})
     * @param host the host
     * @param port the port
     * @return this builder
     */
    public Builder server(Protocol protocol, String host, int port) {
      this.protocol = Objects.requireNonNull(protocol, "protocol");
      this.host = Objects.requireNonNull(host, "host");
      this.port = port;
      return this;
    }

    /**
     * Sets the login (required).
     *
     * @param username the user
     * @param password the password
     * @return this builder
     */
    public Builder login(String username, String password) {
      this.username = Objects.requireNonNull(username, "username");
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Sets the IMAP folder (default {@code INBOX}; POP3 has only that).
     *
     * @param folder the folder
     * @return this builder
     */
    public Builder folder(String folder) {
      this.folder = Objects.requireNonNull(folder, "folder");
      return this;
    }

    /**
     * Requires STARTTLS on a plain port (for {@link Protocol#IMAP} and {@link Protocol#POP3}).
     *
     * @param required whether STARTTLS is required
     * @return this builder
     */
    public Builder startTls(boolean required) {
      this.startTls = required;
      return this;
    }

    /**
     * Sets how many messages one poll handles at most (default 500) and the network timeout (default 30 seconds).
     *
     * @param maxMessages 1 to 10000
     * @param timeout 1 second to 5 minutes
     * @return this builder
     */
    public Builder limits(int maxMessages, Duration timeout) {
      this.maxMessages = maxMessages;
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Builds the reader.
     *
     * @return the reader
     * @throws org.optin4j.ConfigurationException if a setting is missing or out of range
     */
    public MailboxReports build() {
      if (host == null || host.isBlank()) {
        throw new org.optin4j.ConfigurationException("mailbox server is required");
      }
      if (port < 1 || port > 65535) {
        throw new org.optin4j.ConfigurationException("mailbox port must be 1 to 65535");
      }
      if (username == null) {
        throw new org.optin4j.ConfigurationException("mailbox login is required");
      }
      if (startTls && (protocol == Protocol.IMAPS || protocol == Protocol.POP3S)) {
        throw new org.optin4j.ConfigurationException(
            "STARTTLS is for the plain IMAP and POP3 ports");
      }
      if (maxMessages < 1 || maxMessages > 10_000) {
        throw new org.optin4j.ConfigurationException("maxMessages must be 1 to 10000");
      }
      if (timeout.compareTo(Duration.ofSeconds(1)) < 0
          || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new org.optin4j.ConfigurationException("timeout must be 1 second to 5 minutes");
      }
      return new MailboxReports(this);
    }
  }
}
