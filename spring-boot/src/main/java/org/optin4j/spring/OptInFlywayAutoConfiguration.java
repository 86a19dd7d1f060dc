package org.optin4j.spring;

import java.util.Arrays;
import javax.sql.DataSource;
import org.optin4j.ConfigurationException;
import org.optin4j.OptIn;
import org.optin4j.spi.ConsentStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Migrates optin4j's tables with a Flyway of their own when Flyway is on the class path and {@code
 * optin4j.jdbc.flyway.enabled=true}: the scripts shipped in optin4j-core ({@code
 * classpath:org/optin4j/jdbc/<dialect>/V*.sql}) and their own history table ({@code optin4j.jdbc.flyway.table},
 * {@code optin4j_flyway_history} by default), so that optin4j's {@code V1} never meets the application's own {@code
 * V1} or its {@code flyway_schema_history}.
 *
 * <p>The application's Flyway ({@code spring.flyway.*}) is left as it is and runs first; optin4j's runs next, and
 * the consent store and {@link OptIn} are built after it. No {@code Flyway} bean is defined here: one would make
 * Spring Boot's own Flyway back off.
 */
@AutoConfiguration(
    before = OptInAutoConfiguration.class,
    // Both Boot lines' names (4.0, then 3.5); the absent ones are ignored.
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
      "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
      "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration"
    })
@ConditionalOnProperty(name = "optin4j.jdbc.flyway.enabled", havingValue = "true")
@EnableConfigurationProperties(OptInProperties.class)
public class OptInFlywayAutoConfiguration {
  private static final String MIGRATION = "optin4jFlywayMigration";

  private static final String FLYWAY = "org.flywaydb.core.Flyway";

  /** Spring Boot's bean that migrates with the application's Flyway; the same name in 3.5 and 4.0. */
  private static final String APP_FLYWAY = "flywayInitializer";

  /** Creates the configuration; Spring calls this. */
  public OptInFlywayAutoConfiguration() {}

  /** The migration, when Flyway is there; by name, so that this class loads without it. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = FLYWAY)
  static class WithFlyway {
    @Bean(MIGRATION)
    OptInFlywayMigration optin4jFlywayMigration(
        OptInProperties properties, ObjectProvider<DataSource> dataSource) {
      DataSource ds = dataSource.getIfUnique();
      if (ds == null) {
        throw new ConfigurationException(
            "optin4j.jdbc.flyway.enabled: no single DataSource bean to migrate");
      }
      return OptInFlywayMigration.create(ds, properties.jdbc());
    }
  }

  /** Enabled without Flyway: the start fails here, rather than later on a schema that is not there. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingClass(FLYWAY)
  static class WithoutFlyway {
    @Bean(MIGRATION)
    Object optin4jFlywayMigration() {
      throw new ConfigurationException(
          "optin4j.jdbc.flyway.enabled=true, but Flyway is not on the class path: add "
              + "spring-boot-starter-flyway (Spring Boot 4) or org.flywaydb:flyway-core (Spring Boot 3.5), and "
              + "your database's Flyway module such as org.flywaydb:flyway-database-postgresql");
    }
  }

  /**
   * Orders the start: the application's Flyway, then optin4j's, then every {@link ConsentStore} and {@link OptIn}
   * bean (the starter's or the application's own).
   *
   * @return the post-processor
   */
  @Bean
  static BeanFactoryPostProcessor optin4jFlywayOrder() {
    return beans -> {
      if (beans.containsBeanDefinition(APP_FLYWAY)) {
        dependsOn(beans, MIGRATION, APP_FLYWAY);
      }
      for (Class<?> type : new Class<?>[] {ConsentStore.class, OptIn.class}) {
        for (String name : beans.getBeanNamesForType(type, true, false)) {
          dependsOn(beans, name, MIGRATION);
        }
      }
    };
  }

  private static void dependsOn(
      ConfigurableListableBeanFactory beans, String bean, String dependency) {
    if (!beans.containsBeanDefinition(bean)) {
      return;
    }
    BeanDefinition definition = beans.getBeanDefinition(bean);
    String[] before = definition.getDependsOn();
    String[] after = before == null ? new String[1] : Arrays.copyOf(before, before.length + 1);
    after[after.length - 1] = dependency;
    definition.setDependsOn(after);
  }
}
