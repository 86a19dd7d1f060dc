package org.optin4j.examples.boot;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.JavaMailSenderImpl;

/**
 * The built-in SMTP capture: when no {@code spring.mail.host} is set (so Spring Boot makes no
 * {@code JavaMailSender}), a GreenMail SMTP server on 127.0.0.1 and a free port, and a {@code JavaMailSender} that
 * sends to it; the starter sends optin4j's mails through that sender, and {@code /dev/mailbox} shows them. With
 * {@code spring.mail.host} set, none of this exists and mail goes to that server.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(MailCaptureConfiguration.NoSmtpServer.class)
class MailCaptureConfiguration {
  /** The capture; its mails stay in memory until the app stops. */
  @Bean(destroyMethod = "stop")
  GreenMail mailCapture() {
    GreenMail capture =
        new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
    capture.start();
    return capture;
  }

  @Bean
  JavaMailSender captureMailSender(GreenMail capture) {
    JavaMailSenderImpl sender = new JavaMailSenderImpl();
    sender.setHost("127.0.0.1");
    sender.setPort(capture.getSmtp().getPort());
    return sender;
  }

  /** True when the app names no SMTP server of its own. */
  static final class NoSmtpServer implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      String host = context.getEnvironment().getProperty("spring.mail.host");
      return host == null || host.isBlank();
    }
  }
}
