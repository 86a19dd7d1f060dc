package org.optin4j.spring;

import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.optin4j.ConsentChange;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.keys.SigningKeys;
import org.optin4j.spi.ConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

/**
 * An app whose own {@code @Transactional} service calls optin4j, on a pool of one connection: a unit of work that
 * took a second connection would wait for it and time out. The store is the starter's ({@code optin4jConsentStore});
 * the {@code OptIn} is the app's own, to have a listener, sending through a {@link RecordingMailer}.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@EnableTransactionManagement(proxyTargetClass = true)
class TransactionalCallerApp {

  /** The starter's store, made by the starter's own code (an app's OptIn bean makes the starter back off). */
  @Bean
  ConsentStore consentStore(OptInProperties properties, ObjectProvider<DataSource> dataSource) {
    return new OptInAutoConfiguration().optin4jConsentStore(properties, dataSource);
  }

  @Bean
  RecordingMailer mailer() {
    return new RecordingMailer();
  }

  @Bean
  Told told() {
    return new Told();
  }

  @Bean(destroyMethod = "close")
  OptIn optIn(ConsentStore store, RecordingMailer mailer, Told told) throws IOException {
    byte[] pepper = new byte[32];
    new SecureRandom().nextBytes(pepper);
    try (InputStream catalog = new ClassPathResource("optin4j-purposes.json").getInputStream()) {
      return OptIn.builder()
          .catalog(PurposeCatalog.fromJson(catalog))
          .controller(
              new Controller(
                      "Bakery Example GmbH",
                      "Example Street 1, 10115 Berlin",
                      "privacy@bakery.example",
                      null)
                  .withSupervisoryAuthority(
                      "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
          .store(store)
          .mailer(mailer)
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(pepper)
          .baseUrl("http://localhost/optin")
          .listener(told.changes::add)
          .build()
          .start();
    }
  }

  @Bean
  Service service() {
    return new Service();
  }

  /** What the listener was told. */
  static final class Told {
    final List<ConsentChange> changes = new CopyOnWriteArrayList<>();
  }

  /** The app's service: runs the test's work in a Spring transaction, as a {@code @Transactional} method would. */
  static class Service {
    @Transactional
    public <T> T inTransaction(Supplier<T> work) {
      return work.get();
    }
  }
}
