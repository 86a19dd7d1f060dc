package org.optin4j.lists;

import java.nio.charset.StandardCharsets;

/**
 * Test reports in the shapes real mail systems send, written for these tests: Postfix's RFC 3464 report with the
 * returned headers, Exim's classic plain-text bounce with {@code X-Failed-Recipients}, Gmail's report with an
 * alternative human part and the returned message, Microsoft 365's non-delivery report (status 5.1.10), a Postfix
 * delay notice, and RFC 5965 abuse reports. {@code verp} is the envelope sender the mail went out with.
 */
final class ReportMessages {
  private ReportMessages() {}

  /**
   * Subscribes {@code email} to the newsletter, confirms and sends what follows; returns the VERP envelope sender of
   * the last mail, the one a report would name.
   */
  static String confirmedVerp(
      org.optin4j.OptIn optIn, org.optin4j.testing.RecordingMailer mailer, String email) {
    optIn.request(
        org.optin4j.ConsentRequest.of(
            email, java.util.Locale.ENGLISH, org.optin4j.Fixtures.NEWSLETTER));
    optIn.operations().dispatchNow();
    optIn.confirm(
        org.optin4j.Fixtures.token(mailer.last().text(), "confirm"),
        org.optin4j.ConfirmationChoice.all(),
        org.optin4j.Evidence.NONE);
    optIn.operations().dispatchNow();
    return mailer.last().returnPath().value();
  }

  static byte[] bytes(String s) {
    return s.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  static byte[] postfix(String verp, String recipient) {
    return bytes(
        """
        Return-Path: <>
        Delivered-To: %1$s
        From: MAILER-DAEMON@out.bakery.example (Mail Delivery System)
        Subject: Undelivered Mail Returned to Sender
        To: %1$s
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="8F2C41A0E1.1772445600/out.bakery.example"
        Message-Id: <20260302100000.8F2C41A0E1@out.bakery.example>

        This is a MIME-encapsulated message.

        --8F2C41A0E1.1772445600/out.bakery.example
        Content-Description: Notification
        Content-Type: text/plain; charset=us-ascii

        This is the mail system at host out.bakery.example.

        I'm sorry to have to inform you that your message could not
        be delivered to one or more recipients.

        <%2$s>: host mx.example.org[192.0.2.10] said: 550 5.1.1 <%2$s>:
            Recipient address rejected: no such mailbox (in reply to RCPT TO command)

        --8F2C41A0E1.1772445600/out.bakery.example
        Content-Description: Delivery report
        Content-Type: message/delivery-status

        Reporting-MTA: dns; out.bakery.example
        X-Postfix-Queue-ID: 8F2C41A0E1
        X-Postfix-Sender: rfc822; %1$s
        Arrival-Date: Mon,  2 Mar 2026 10:00:00 +0000 (UTC)

        Final-Recipient: rfc822; %2$s
        Original-Recipient: rfc822;%2$s
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org
        Diagnostic-Code: smtp; 550 5.1.1 <%2$s>: Recipient address rejected: no
            such mailbox

        --8F2C41A0E1.1772445600/out.bakery.example
        Content-Description: Undelivered Message Headers
        Content-Type: text/rfc822-headers

        Return-Path: <%1$s>
        From: Bakery <news@bakery.example>
        To: %2$s
        Subject: Bread of the month
        Message-ID: <0123456789abcdef@bakery.example>

        --8F2C41A0E1.1772445600/out.bakery.example--
        """
            .formatted(verp, recipient));
  }

  static byte[] postfixDelayed(String verp, String recipient, String queueId) {
    return bytes(
        """
        Delivered-To: %1$s
        From: MAILER-DAEMON@out.bakery.example (Mail Delivery System)
        Subject: Delayed Mail (still being retried)
        To: %1$s
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="%3$s.1772445600/out.bakery.example"

        --%3$s.1772445600/out.bakery.example
        Content-Type: text/plain; charset=us-ascii

        This is the mail system at host out.bakery.example.

        ####################################################################
        # THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
        ####################################################################

        --%3$s.1772445600/out.bakery.example
        Content-Type: message/delivery-status

        Reporting-MTA: dns; out.bakery.example
        X-Postfix-Queue-ID: %3$s

        Final-Recipient: rfc822; %2$s
        Action: delayed
        Status: 4.2.2
        Diagnostic-Code: smtp; 452 4.2.2 mailbox full
        Will-Retry-Until: Fri,  6 Mar 2026 10:00:00 +0000 (UTC)

        --%3$s.1772445600/out.bakery.example--
        """
            .formatted(verp, recipient, queueId));
  }

  static byte[] exim(String verp, String recipient) {
    return bytes(
        """
        Return-path: <>
        Envelope-to: %1$s
        From: Mail Delivery System <Mailer-Daemon@mx1.bakery.example>
        To: %1$s
        Subject: Mail delivery failed: returning message to sender
        X-Failed-Recipients: %2$s
        Auto-Submitted: auto-replied
        Message-Id: <E1vABCD-0001Xy-7Q@mx1.bakery.example>

        This message was created automatically by mail delivery software.

        A message that you sent could not be delivered to one or more of its
        recipients. This is a permanent error. The following address(es) failed:

          %2$s
            host mx.example.org [192.0.2.10]
            SMTP error from remote mail server after RCPT TO:<%2$s>:
            550 5.1.1 mailbox unavailable

        ------ This is a copy of the message, including all the headers. ------

        Return-path: <%1$s>
        From: Bakery <news@bakery.example>
        To: %2$s
        Subject: Bread of the month

        Our bread of the month is rye.
        """
            .formatted(verp, recipient));
  }

  static byte[] gmail(String verp, String recipient) {
    return bytes(
        """
        Delivered-To: %1$s
        From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
        To: %1$s
        Subject: Delivery Status Notification (Failure)
        X-Failed-Recipients: %2$s
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; boundary="0000000000005a1b2c3d4e"; report-type=delivery-status

        --0000000000005a1b2c3d4e
        Content-Type: multipart/related; boundary="0000000000005a1b2c3d4f"

        --0000000000005a1b2c3d4f
        Content-Type: multipart/alternative; boundary="0000000000005a1b2c3d50"

        --0000000000005a1b2c3d50
        Content-Type: text/plain; charset="UTF-8"

        ** Address not found **

        Your message wasn't delivered to %2$s because the address couldn't be found.

        --0000000000005a1b2c3d50
        Content-Type: text/html; charset="UTF-8"

        <html><body><p>Address not found</p></body></html>
        --0000000000005a1b2c3d50--

        --0000000000005a1b2c3d4f--

        --0000000000005a1b2c3d4e
        Content-Type: message/delivery-status

        Reporting-MTA: dns; googlemail.com
        Arrival-Date: Mon, 02 Mar 2026 02:00:00 -0800 (PST)
        X-Original-Message-ID: <0123456789abcdef@bakery.example>

        Final-Recipient: rfc822; %2$s
        Action: failed
        Status: 5.1.1
        Remote-MTA: dns; mx.example.org. (192.0.2.10, the server for the domain example.org.)
        Diagnostic-Code: smtp; 550-5.1.1 The account you tried to reach does not exist.
        Last-Attempt-Date: Mon, 02 Mar 2026 02:00:01 -0800 (PST)

        --0000000000005a1b2c3d4e
        Content-Type: message/rfc822

        Return-Path: <%1$s>
        From: Bakery <news@bakery.example>
        To: %2$s
        Subject: Bread of the month
        Message-ID: <0123456789abcdef@bakery.example>

        Our bread of the month is rye.

        --0000000000005a1b2c3d4e--
        """
            .formatted(verp, recipient));
  }

  /** Addressed to the original's From, as Exchange does; only the receiving side's Delivered-To names the VERP. */
  static byte[] microsoft365(String verp, String recipient) {
    return bytes(
        """
        Delivered-To: %1$s
        From: Microsoft Outlook
         <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.onmicrosoft.com>
        To: <news@bakery.example>
        Subject: Undeliverable: Bread of the month
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="_000_AM0PR01MB1234abcd_"
        X-MS-Exchange-Message-Is-Ndr:
        Auto-Submitted: auto-replied
        MIME-Version: 1.0

        --_000_AM0PR01MB1234abcd_
        Content-Type: multipart/alternative; boundary="_001_AM0PR01MB1234abcd_"

        --_001_AM0PR01MB1234abcd_
        Content-Type: text/plain; charset="us-ascii"

        Your message to %2$s couldn't be delivered.
        The address wasn't found at the destination domain.

        --_001_AM0PR01MB1234abcd_
        Content-Type: text/html; charset="us-ascii"

        <html><body><b>Your message couldn't be delivered.</b></body></html>
        --_001_AM0PR01MB1234abcd_--

        --_000_AM0PR01MB1234abcd_
        Content-Type: message/delivery-status

        Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com
        Received-From-MTA: dns;out.bakery.example
        Arrival-Date: Mon, 2 Mar 2026 10:00:00 +0000

        Final-Recipient: rfc822;%2$s
        Action: failed
        Status: 5.1.10
        Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

        --_000_AM0PR01MB1234abcd_
        Content-Type: message/rfc822

        From: Bakery <news@bakery.example>
        To: %2$s
        Subject: Bread of the month

        Our bread of the month is rye.

        --_000_AM0PR01MB1234abcd_--
        """
            .formatted(verp, recipient));
  }

  /** An ARF report sent to a feedback-loop address; the VERP is in Original-Mail-From and the original's Return-Path. */
  static byte[] arf(String verp, String recipient, String feedbackType) {
    return bytes(
        """
        From: Feedback Loop <fbl@mail.example.net>
        To: fbl@bakery.example
        Subject: FW: Bread of the month
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report;
        \tboundary="arf_boundary_42"

        --arf_boundary_42
        Content-Type: text/plain; charset="US-ASCII"

        This is an email abuse report for a message received from IP 192.0.2.20.

        --arf_boundary_42
        Content-Type: message/feedback-report

        Feedback-Type: %3$s
        User-Agent: ExampleFBL/2.1
        Version: 1
        Original-Mail-From: <%1$s>
        Original-Rcpt-To: <%2$s>
        Arrival-Date: Mon, 2 Mar 2026 10:00:05 +0000
        Source-IP: 192.0.2.20
        Reported-Domain: bakery.example

        --arf_boundary_42
        Content-Type: message/rfc822
        Content-Disposition: inline

        Return-Path: <%1$s>
        From: Bakery <news@bakery.example>
        To: %2$s
        Subject: Bread of the month

        Our bread of the month is rye.

        --arf_boundary_42--
        """
            .formatted(verp, recipient, feedbackType));
  }

  static byte[] malformed() {
    return bytes(
        """
        From: someone@elsewhere.example
        To: bounces@bounces.bakery.example
        Subject: Re: Bread of the month
        Content-Type: multipart/report; report-type=delivery-status; boundary="never-closed"

        --never-closed
        Content-Type: text/plain

        thanks, but no part with a delivery status follows
        """);
  }
}
