package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.DispatcherType;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.servlet.OptInFilter;
import org.optin4j.spi.ConsentListener;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.Mailer;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableWebApplicationContext;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.JavaMailSenderImpl;

/**
 * Which beans the auto-configuration makes, which it leaves to the app, and how a wrong setting stops the start: each
 * problem named by its property, all at once, without echoing a secret.
 */
class OptInAutoConfigurationTest {
  private static final String KEY = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

  /** A valid in-memory setup for tests and demos, with a JavaMailSender bean (no mail is sent by these tests). */
  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(OptInAutoConfiguration.class))
          .withUserConfiguration(MailSenderConfig.class)
          .withPropertyValues(properties());

  @Configuration(proxyBeanMethods = false)
  static class MailSenderConfig {
    @Bean
    JavaMailSender mailSender() {
      JavaMailSenderImpl sender = new JavaMailSenderImpl();
      sender.setHost("127.0.0.1");
      return sender;
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnOptInConfig {
    @Bean(destroyMethod = "close")
    OptIn ownOptIn() {
      return OptIn.builder()
          .baseUrl("https://own.example/optin")
          .catalog(
              org.optin4j.PurposeCatalog.fromJson(
                  OwnOptInConfig.class.getResourceAsStream("/optin4j-purposes.json")))
          .controller(
              new org.optin4j.Controller("Own", "Own Street 1", "privacy@own.example", null)
                  .withSupervisoryAuthority(
                      "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
          .store(InMemoryConsentStore.create())
          .mailer(new RecordingMailer())
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(new byte[32])
          .build();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnMailerConfig {
    @Bean
    Mailer ownMailer() {
      return new RecordingMailer();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class ListenersConfig {
    static final List<String> TOLD = new CopyOnWriteArrayList<>();

    @Bean
    ConsentListener crm() {
      return change -> TOLD.add("crm " + change.type());
    }

    @Bean
    ConsentListener mailTool() {
      return change -> TOLD.add("mail tool " + change.type());
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnStoreConfig {
    @Bean
    ConsentStore ownStore() {
      return InMemoryConsentStore.create();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnFilterConfig {
    @Bean(OptInAutoConfiguration.FILTER_REGISTRATION)
    FilterRegistrationBean<OptInFilter> ownRegistration(OptIn optIn) {
      FilterRegistrationBean<OptInFilter> r =
          new FilterRegistrationBean<>(OptInFilter.builder(optIn).build());
      r.addUrlPatterns("/optin/*");
      return r;
    }
  }

  // --- what it makes
  // ------------------------------------------------------------------------------------------

  @Test
  void applicationsConsentListenersAreEachToldOfCommittedChanges() {
    ListenersConfig.TOLD.clear();
    runner
        .withUserConfiguration(OwnMailerConfig.class, ListenersConfig.class)
        .run(
            context -> {
              OptIn optIn = context.getBean(OptIn.class);
              RecordingMailer mailer = (RecordingMailer) context.getBean(Mailer.class);
              OptInFlow.of(optIn, mailer).confirmed("ann@example.org", new PurposeId("newsletter"));
              long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
              while (ListenersConfig.TOLD.size() < 2 && System.nanoTime() < until) {
                Thread.sleep(20);
              }
              // Each listener is told on its own, off the request thread, so that a slow CRM holds
              // back
              // no mail tool: the two calls may come in either order.
              assertThat(ListenersConfig.TOLD)
                  .containsExactlyInAnyOrder("mail tool CONFIRMED", "crm CONFIRMED");
            });
  }

  @Test
  void startWhenJavaMailSenderPresentThenMailerSendsThroughIt() {
    runner.run(
        context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasSingleBean(OptIn.class);
          assertThat(context.getBean(Mailer.class)).isInstanceOf(JavaMailSenderMailer.class);
          assertThat(context.getBean(ConsentStore.class)).isInstanceOf(InMemoryConsentStore.class);
        });
  }

  @Test
  void
      filterRegistrationWhenServletAppThenOnEveryPathBeforeSpringSecurityForRequestDispatchesOnly() {
    runner.run(
        context -> {
          FilterRegistrationBean<?> registration =
              context.getBean(
                  OptInAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class);
          assertThat(registration.getFilter()).isInstanceOf(OptInFilter.class);
          // Spring Security's springSecurityFilterChain runs at -100
          // (SecurityProperties.DEFAULT_FILTER_ORDER).
          assertThat(registration.getOrder()).isLessThan(-100);
          assertThat(registration.getUrlPatterns()).containsExactly("/*");
          assertThat(registration.determineDispatcherTypes())
              .containsExactly(DispatcherType.REQUEST);
        });
  }

  @Test
  void jsonApiPropertiesWhenSetThenTheFilterStartsWithThemAndABadKeyIsNamedNotShown() {
    runner
        .withPropertyValues(
            "optin4j.api.enabled=true",
            "optin4j.api.allowed-origins=https://front.example",
            "optin4j.api.key.value=feed-reader-key-0123456789abcdefghijklmnopqrstuv")
        .run(context -> assertThat(context).hasNotFailed());
    runner
        .withPropertyValues(
            "optin4j.api.enabled=true",
            "optin4j.api.allowed-origins=https://front.example/path",
            "optin4j.api.key.value=short-secret")
        .run(
            context -> {
              String failure = failure(context);
              assertThat(failure).contains("apiAllowedOrigins").contains("apiKeys");
              assertThat(failure).doesNotContain("short-secret");
            });
  }

  @Test
  void bouncePropertiesWhenSetThenStartsAndBadValuesAreNamedNotShown() {
    String secret =
        org.optin4j.feed.WebhookSecret.generate(new java.security.SecureRandom()).encoded();
    runner
        .withPropertyValues(
            "optin4j.bounces.local-part=bounces",
            "optin4j.bounces.domain=bounces.shop.example",
            "optin4j.bounces.sns-topics=arn:aws:sns:eu-west-1:123456789012:ses-bounces",
            "optin4j.bounces.relay-secret.value=" + secret)
        .run(context -> assertThat(context).hasNotFailed());
    runner
        .withPropertyValues("optin4j.bounces.local-part=bounces")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.bounces.local-part and optin4j.bounces.domain: set both"));
    runner
        .withPropertyValues("optin4j.bounces.relay-secret.value=whsec_c2hvcnQ=")
        .run(
            context -> {
              String failure = failure(context);
              assertThat(failure).contains("optin4j.bounces.relay-secret: must be a whsec_ secret");
              assertThat(failure).doesNotContain("c2hvcnQ");
            });
  }

  @Test
  void optInBeanWhenContextClosesThenClosedThroughItsDestroyMethod() {
    runner.run(
        context ->
            assertThat(
                    ((org.springframework.beans.factory.support.AbstractBeanDefinition)
                            context.getBeanFactory().getBeanDefinition("optIn"))
                        .getDestroyMethodNames())
                .containsExactly("close"));
  }

  // --- what it leaves to the app
  // ------------------------------------------------------------------------------

  @Test
  void startWhenAppDefinesOptInThenStarterBacksOffAndMakesNoStoreOrMailer() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OptInAutoConfiguration.class))
        .withUserConfiguration(OwnOptInConfig.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(OptIn.class).hasBean("ownOptIn");
              assertThat(context).doesNotHaveBean(ConsentStore.class).doesNotHaveBean(Mailer.class);
              assertThat(context).hasBean(OptInAutoConfiguration.FILTER_REGISTRATION);
            });
  }

  @Test
  void startWhenAppDefinesMailerThenItIsUsedAndNoJavaMailSenderIsNeeded() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OptInAutoConfiguration.class))
        .withUserConfiguration(OwnMailerConfig.class)
        .withPropertyValues(properties())
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(Mailer.class).hasBean("ownMailer");
              assertThat(context.getBean(Mailer.class)).isInstanceOf(RecordingMailer.class);
            });
  }

  @Test
  void startWhenAppDefinesConsentStoreThenItIsUsedWithoutDataSource() {
    runner
        .withUserConfiguration(OwnStoreConfig.class)
        .withPropertyValues("optin4j.store=jdbc", "optin4j.for-tests-or-demos=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).hasSingleBean(ConsentStore.class).hasBean("ownStore");
            });
  }

  @Test
  void startWhenAppDefinesFilterRegistrationThenStarterRegistersNone() {
    runner
        .withUserConfiguration(OwnFilterConfig.class)
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context.getBeansOfType(FilterRegistrationBean.class)).hasSize(1);
              FilterRegistrationBean<?> own =
                  context.getBean(
                      OptInAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class);
              assertThat(own.getUrlPatterns()).containsExactly("/optin/*");
            });
  }

  // --- what stops the start
  // -----------------------------------------------------------------------------------

  @Test
  void startWhenBaseUrlNotHttpsThenFailsNamingTheProperty() {
    runner
        .withPropertyValues("optin4j.base-url=http://shop.example/optin")
        .run(
            context ->
                assertThat(failure(context)).contains("optin4j.base-url: baseUrl must use https"));
  }

  @Test
  void startWhenBaseUrlMissingAndCatalogMissingAndControllerIncompleteThenNamesEachAtOnce() {
    runner
        .withPropertyValues("optin4j.base-url=", "optin4j.catalog=", "optin4j.controller.email=")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.base-url: required")
                    .contains("optin4j.catalog: required")
                    .contains("optin4j.controller.name, .address and .email"));
  }

  @Test
  void startWhenCatalogNotFoundThenFailsNamingTheProperty() {
    runner
        .withPropertyValues("optin4j.catalog=classpath:nowhere.json")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.catalog: classpath:nowhere.json not found"));
  }

  @Test
  void startWhenDurationInvalidThenBindingFailsNamingTheProperty() {
    runner
        .withPropertyValues("optin4j.confirmation-ttl=soon")
        .run(context -> assertThat(failure(context)).contains("optin4j.confirmation-ttl"));
  }

  @Test
  void startWhenMemoryStoreNotMarkedForTestsOrDemosThenRefusesToStart() {
    runner
        .withPropertyValues("optin4j.for-tests-or-demos=false")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.store=memory")
                    .contains("optin4j.for-tests-or-demos=true"));
  }

  @Test
  void startWhenJdbcStoreWithoutDataSourceThenRefusesToStartNamingTheChoices() {
    runner
        .withPropertyValues("optin4j.store=jdbc")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.store=jdbc: no single DataSource bean"));
  }

  @Test
  void startWhenNoJavaMailSenderAndNoMailerThenFailsNamingSpringMailHost() {
    new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(OptInAutoConfiguration.class))
        .withPropertyValues(properties())
        .run(context -> assertThat(failure(context)).contains("spring.mail.host"));
  }

  @Test
  void startWhenSenderAddressMissingThenFailsNamingTheProperty() {
    runner
        .withPropertyValues("optin4j.smtp.from=")
        .run(
            context ->
                assertThat(failure(context)).contains("optin4j.smtp.*: from address is required"));
  }

  @Test
  void startWhenSigningKeyMissingThenFailsNamingItsThreeSources() {
    runner
        .withPropertyValues("optin4j.signing.key.value=")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.signing.key.env, .file or .value: required"));
  }

  @Test
  void startWhenSecretNotBase64ThenFailsWithoutEchoingTheValue() {
    runner
        .withPropertyValues("optin4j.suppression-pepper.value=not*base64*secret")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("secret optin4j.suppression-pepper.value: not valid base64")
                    .doesNotContain("not*base64*secret"));
  }

  @Test
  void startWhenSecretGivenTwiceThenFailsAskingForOne() {
    runner
        .withPropertyValues("optin4j.signing.key.env=OPTIN4J_NO_SUCH_VARIABLE")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.signing.key: set only one of .env, .file and .value"));
  }

  @Test
  void startWhenSigningKeyFromUnsetEnvironmentVariableThenFailsNamingIt() {
    runner
        .withPropertyValues(
            "optin4j.signing.key.value=", "optin4j.signing.key.env=OPTIN4J_NO_SUCH_VARIABLE")
        .run(
            context ->
                assertThat(failure(context))
                    .contains(
                        "optin4j.signing.key.env: secret from environment variable OPTIN4J_NO_SUCH_VARIABLE: not set"));
  }

  @Test
  void startWhenSigningKeyShorterThan256BitsThenFailsNamingTheProperty() {
    runner
        .withPropertyValues("optin4j.signing.key.value=AAAAAAAAAAAAAAAAAAAAAA==")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.signing.key.value")
                    .contains("has 128 bits; at least 256 are required"));
  }

  @Test
  void propertiesWhenPrintedThenSecretValuesHidden() {
    runner.run(
        context ->
            assertThat(context.getBean(OptInProperties.class).toString())
                .doesNotContain(KEY)
                .contains("value=(hidden)"));
  }

  @Test
  void startWhenRateLimitMalformedThenFailsNamingTheProperty() {
    runner
        .withPropertyValues("optin4j.rate-limit.per-ip=thirty")
        .run(
            context ->
                assertThat(failure(context))
                    .contains("optin4j.rate-limit.per-ip: expected max/window"));
  }

  static String[] properties() {
    return new String[] {
      "optin4j.base-url=https://shop.example/optin",
      "optin4j.catalog=classpath:optin4j-purposes.json",
      "optin4j.controller.name=Bakery Example GmbH",
      "optin4j.controller.address=Example Street 1, 10115 Berlin",
      "optin4j.controller.email=privacy@bakery.example",
      "optin4j.controller.supervisory-authority-name=Berliner Beauftragte für Datenschutz und Informationsfreiheit",
      "optin4j.controller.supervisory-authority-url=https://www.datenschutz-berlin.de",
      "optin4j.smtp.from=news@bakery.example",
      "optin4j.signing.key.value=" + KEY,
      "optin4j.suppression-pepper.value=" + KEY,
      "optin4j.store=memory",
      "optin4j.for-tests-or-demos=true"
    };
  }

  /** Every message in the start failure's cause chain, one per line. */
  private static String failure(AssertableWebApplicationContext context) {
    assertThat(context).hasFailed();
    StringBuilder all = new StringBuilder();
    for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
      all.append(t.getMessage()).append('\n');
    }
    return all.toString();
  }
}
