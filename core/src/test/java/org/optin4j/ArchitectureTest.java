package org.optin4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.members;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The package boundaries of the core (see {@code docs/architecture.md}), checked on the compiled classes so that the
 * build fails on a violation: the API packages use no third-party type, expose no {@code internal} type, and the
 * packages below the entry point form no cycle.
 */
@AnalyzeClasses(packages = "org.optin4j", importOptions = ImportOption.DoNotIncludeTests.class)
final class ArchitectureTest {

  /** What applications compile against. */
  static final String[] API = {
    "org.optin4j",
    "org.optin4j.rights",
    "org.optin4j.proof",
    "org.optin4j.breach",
    "org.optin4j.campaign",
    "org.optin4j.keys",
    "org.optin4j.operations",
    "org.optin4j.spi",
    "org.optin4j.text"
  };

  @ArchTest
  static final ArchRule apiPackagesUseOnlyTheJdkAndOptin4j =
      classes()
          .that()
          .resideInAnyPackage(API)
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage("java..", "javax.crypto..", "org.optin4j..", "")
          .because(
              "an API package must not tie applications to Nimbus, JDBC, Jakarta Mail or any other library");

  @ArchTest
  static final ArchRule apiPackagesImportNoNimbusJdbcOrMail =
      noClasses()
          .that()
          .resideInAnyPackage(API)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "com.nimbusds..",
              "java.sql..",
              "javax.sql..",
              "jakarta.mail..",
              "jakarta.activation..")
          .because("Nimbus, JDBC and Jakarta Mail types live in internal, jdbc and mail only");

  @ArchTest
  static final ArchRule apiSignaturesExposeNoInternalType =
      members()
          .that()
          .areDeclaredInClassesThat()
          .resideInAnyPackage(API)
          .and()
          .areDeclaredInClassesThat()
          .arePublic()
          .and(visibleToApplications())
          .should(exposeNoInternalType())
          .because(
              "org.optin4j.internal is not API: an application must never need one of its types");

  @ArchTest
  static final ArchRule spiKnowsNoImplementation =
      noClasses()
          .that()
          .resideInAPackage("org.optin4j.spi..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(
              "org.optin4j.internal..",
              "org.optin4j.jdbc..",
              "org.optin4j.memory..",
              "org.optin4j.mail..")
          .because("a store or mailer is written against the SPI alone");

  @ArchTest
  static final ArchRule spiInterfacesHaveAtMostFifteenMethods =
      classes()
          .that()
          .resideInAPackage("org.optin4j.spi")
          .and()
          .areInterfaces()
          .should(haveAtMostMethods(15))
          .because(
              "an extension point is read in one sitting: a store is written part by part (docs/writing-a-store.md)");

  @ArchTest
  static final ArchRule storesAndMailersDoNotReachIntoTheService =
      noClasses()
          .that()
          .resideInAnyPackage("org.optin4j.jdbc..", "org.optin4j.memory..", "org.optin4j.mail..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.optin4j.internal..")
          .orShould()
          .dependOnClassesThat(facets())
          .because(
              "stores and mailers implement the SPI; they must not depend on how the service uses it");

  @ArchTest
  static final ArchRule featurePackagesDoNotDependOnEachOther =
      noClasses()
          .that()
          .resideInAnyPackage(
              "org.optin4j.rights..",
              "org.optin4j.breach..",
              "org.optin4j.campaign..",
              "org.optin4j.operations..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage("org.optin4j.jdbc..", "org.optin4j.memory..", "org.optin4j.mail..")
          .because(
              "a feature's API is implemented in internal over the SPI, never over a particular store");

  @ArchTest
  static final ArchRule packagesBelowTheEntryPointHaveNoCycle =
      slices()
          .matching("org.optin4j.(**)")
          .should()
          .beFreeOfCycles()
          .because(
              "each package below the composition root (org.optin4j, whose OptIn.Builder wires everything) is a"
                  + " layer: API packages never call into internal, internal implements them");

  private static ArchCondition<JavaClass> haveAtMostMethods(int most) {
    return new ArchCondition<>(
        "have at most " + most + " methods (abstract and default, inherited ones included)") {
      @Override
      public void check(JavaClass type, ConditionEvents events) {
        long count =
            type.getAllMethods().stream()
                .filter(
                    m ->
                        !m.getModifiers().contains(JavaModifier.STATIC)
                            && !m.getModifiers().contains(JavaModifier.SYNTHETIC))
                .filter(m -> !m.getOwner().isEquivalentTo(Object.class))
                .count();
        if (count > most) {
          events.add(
              SimpleConditionEvent.violated(type, type.getName() + " has " + count + " methods"));
        }
      }
    };
  }

  private static DescribedPredicate<JavaClass> facets() {
    return DescribedPredicate.describe(
        "are facets of OptIn",
        c ->
            c.isInterface()
                && c.getPackageName()
                    .matches("org\\.optin4j\\.(rights|proof|breach|campaign|operations)")
                && c.getSimpleName()
                    .matches(
                        "SubjectRights|RightsDesk|ConsentProof|BreachRegister|Campaigns|Operations"));
  }

  private static DescribedPredicate<JavaMember> visibleToApplications() {
    return DescribedPredicate.describe(
        "are public or protected",
        m ->
            m.getModifiers().contains(JavaModifier.PUBLIC)
                || m.getModifiers().contains(JavaModifier.PROTECTED));
  }

  private static ArchCondition<JavaMember> exposeNoInternalType() {
    return new ArchCondition<>("expose no type of org.optin4j.internal") {
      @Override
      public void check(JavaMember member, ConditionEvents events) {
        List<JavaClass> types = new ArrayList<>();
        if (member instanceof JavaCodeUnit code) {
          types.add(code.getRawReturnType());
          types.addAll(code.getRawParameterTypes());
          types.addAll(code.getExceptionTypes());
        } else if (member instanceof JavaField field) {
          types.add(field.getRawType());
        }
        for (JavaClass type : types) {
          JavaClass base = type.isArray() ? type.getBaseComponentType() : type;
          if (base.getPackageName().startsWith("org.optin4j.internal")) {
            events.add(
                SimpleConditionEvent.violated(
                    member, member.getFullName() + " exposes " + base.getName()));
          }
        }
      }
    };
  }
}
