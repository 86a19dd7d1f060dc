package org.optin4j.servlet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The adapter is written against the core's API alone: what it needs from the core, an application embedding its own
 * adapter would need too, so it must be public API, not {@code org.optin4j.internal} (which the core's module does not
 * export) nor a store or mail implementation.
 */
@AnalyzeClasses(
    packages = "org.optin4j.servlet",
    importOptions = ImportOption.DoNotIncludeTests.class)
final class AdapterArchitectureTest {

  @ArchTest
  static final ArchRule adapterUsesOnlyTheCoreApi =
      noClasses()
          .that()
          .resideInAPackage("org.optin4j.servlet..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.optin4j.internal..",
              "com.nimbusds..",
              "java.sql..",
              "javax.sql..",
              "jakarta.mail..")
          .because(
              "the adapter speaks to the core through its exported API, as any other application does");
}
