package org.optin4j.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.MessagingException;
import java.io.IOException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.optin4j.spi.SendOutcome;

class SmtpReplyTest {
  /** Shaped like Angus's SMTPSendFailedException: a reply code, no recipient. */
  static final class MessageRefused extends MessagingException {
    private static final long serialVersionUID = 1L;
    private final int code;

    MessageRefused(int code, String text) {
      super(text);
      this.code = code;
    }

    public int getReturnCode() {
      return code;
    }
  }

  /** Shaped like Angus's SMTPAddressFailedException: a reply code and the refused recipient. */
  static final class RecipientRefused extends MessagingException {
    private static final long serialVersionUID = 1L;
    private final int code;

    RecipientRefused(int code, String text) {
      super(text);
      this.code = code;
    }

    public int getReturnCode() {
      return code;
    }

    public Object getAddress() {
      return null;
    }
  }

  @Test
  void inWhenReplyCarriesEnhancedStatusThenReasonNamesCodeAndStatusOnly() {
    SmtpReply reply =
        SmtpReply.in(new RecipientRefused(550, "550 5.1.1 <ann@example.org>: no such user"))
            .orElseThrow();

    assertEquals(new SmtpReply(550, "5.1.1", true), reply);
    assertEquals(new SendOutcome.PermanentFailure("SMTP 550 5.1.1"), reply.outcome());
  }

  @Test
  void outcomeWhen552ToRecipientThenTransientAsRfc5321AsksButPermanentForTheMessage() {
    assertEquals(
        new SendOutcome.TransientFailure("SMTP 552"), new SmtpReply(552, null, true).outcome());
    assertEquals(
        new SendOutcome.PermanentFailure("SMTP 552"), new SmtpReply(552, null, false).outcome());
    assertEquals(
        new SendOutcome.TransientFailure("SMTP 451 4.7.1"),
        new SmtpReply(451, "4.7.1", false).outcome());
  }

  @Test
  void inWhenReplyWrappedAsCauseOrNextExceptionThenFound() {
    MessagingException viaNext = new MessagingException("batch failed");
    viaNext.setNextException(new MessageRefused(554, "554 rejected"));

    assertEquals(Optional.of(new SmtpReply(554, null, false)), SmtpReply.in(viaNext));
    assertEquals(
        Optional.of(new SmtpReply(421, null, false)),
        SmtpReply.in(new RuntimeException("wrapped", new MessageRefused(421, "421 closing"))));
  }

  @Test
  void inWhenNoReplyCodeThenEmptyAndRootNamesTheInnermostFailure() {
    MessagingException lost = new MessagingException("lost", new IOException("reset"));

    assertTrue(SmtpReply.in(lost).isEmpty());
    assertEquals("IOException", SmtpReply.rootName(lost));
  }

  @Test
  void constructorWhenNotARefusalOrMalformedStatusThenRefusedNamingTheValue() {
    IllegalArgumentException code =
        assertThrows(IllegalArgumentException.class, () -> new SmtpReply(250, null, false));
    assertTrue(code.getMessage().contains("was 250"), code.getMessage());
    IllegalArgumentException status =
        assertThrows(IllegalArgumentException.class, () -> new SmtpReply(550, "5.x", false));
    assertTrue(status.getMessage().contains("5.x"), status.getMessage());
  }
}
