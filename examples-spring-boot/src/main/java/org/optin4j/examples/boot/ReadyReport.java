package org.optin4j.examples.boot;

import com.icegreen.greenmail.util.GreenMail;
import org.optin4j.examples.boot.SecurityConfiguration.AdminAccount;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/** Prints, once the app is ready, where it is and how to get in: the counterpart of the servlet sample's banner. */
@Component
class ReadyReport implements ApplicationListener<ApplicationReadyEvent> {
  private final AdminAccount admin;
  private final ObjectProvider<GreenMail> capture;

  ReadyReport(AdminAccount admin, ObjectProvider<GreenMail> capture) {
    this.admin = admin;
    this.capture = capture;
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    Environment env = event.getApplicationContext().getEnvironment();
    String site = "http://localhost:" + env.getProperty("local.server.port");
    GreenMail mails = capture.getIfAvailable();
    StringBuilder b =
        new StringBuilder("\nDe Gouden Korst (optin4j Spring Boot sample)\n")
            .append("  data: ")
            .append(env.getProperty(DataDirectory.PROPERTY))
            .append(" (database ")
            .append(env.getProperty("spring.datasource.url"))
            .append(")\n  mail: ")
            .append(
                mails == null
                    ? "SMTP server " + env.getProperty("spring.mail.host")
                    : "built-in SMTP capture on 127.0.0.1:"
                        + mails.getSmtp().getPort()
                        + ", read it at "
                        + site
                        + "/dev/mailbox (admin login)")
            .append("\n  admin: ")
            .append(site)
            .append("/admin, user ")
            .append(AdminAccount.USER)
            .append(
                admin.generated()
                    ? ", password "
                        + admin.password()
                        + " (new each start; set bakery.admin-password)"
                    : ", password from bakery.admin-password")
            .append("\n\nReady: ")
            .append(site)
            .append("   (Ctrl-C to stop)\n");
    System.out.println(b);
  }
}
