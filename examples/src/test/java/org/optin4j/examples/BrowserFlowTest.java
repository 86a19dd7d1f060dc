package org.optin4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.PurposeId;
import org.optin4j.Subject;

/**
 * The whole journey in headless Chromium, as a visitor makes it: the contact form with the library's notice block,
 * the confirmation mail in {@code /dev/mailbox}, the confirm page, the receipt mail, the preference page, withdrawing
 * one purpose; then the operator's admin page and breach register. Saves screenshots of the key pages
 * ({@code optin4j.screenshots.dir}; the README's are in {@code examples/docs/screenshots}).
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver}. Without them the test fails, never skips: CI installs
 * them ({@code .ci/run}).
 */
class BrowserFlowTest {
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final String PASSWORD = "bakers-dozen-13";

  @TempDir Path data;
  @TempDir Path profile;

  private SampleApp app;
  private WebDriver driver;
  private Path shots;

  @AfterEach
  void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (app != null) {
      app.close();
    }
  }

  @Test
  void visitorWhenSigningUpConfirmingAndWithdrawingOneThenEachPageSaysSoAndConsentsFollow()
      throws Exception {
    assertTrue(
        Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
        "headless Chromium is required: apt-get install -y chromium chromium-driver");
    shots = Path.of(System.getProperty("optin4j.screenshots.dir", "target/screenshots"));
    Files.createDirectories(shots);
    app = SampleApp.start(Settings.forTest(data, PASSWORD));
    driver = chrome();
    String site = app.url();

    // Home.
    driver.get(site + "/");
    assertTrue(driver.getTitle().startsWith("Home"), driver.getTitle());
    shot("01-home");

    // The hosted signup page, in the site's layout.
    driver.get(site + "/optin/subscribe");
    assertTrue(text().contains("Monthly newsletter"), text());
    assertFalse(
        driver.findElement(By.id("optin-purpose-newsletter")).isSelected(), "never pre-ticked");
    shot("02-hosted-signup");

    // The generated Art. 13 information: hosted, and in the site's own privacy page.
    driver.get(site + "/optin/privacy-info");
    assertTrue(text().contains("Autoriteit Persoonsgegevens"), text());
    assertNoWcag21AaViolation("privacy-info");
    driver.get(site + "/privacy");
    assertTrue(text().contains("Mailgun Technologies Inc."), text());
    assertNoWcag21AaViolation("privacy");

    // The site's own contact form with the library's notice block (the drop-in).
    driver.get(site + "/contact");
    assertTrue(text().contains("De Gouden Korst B.V."), "notice names the controller");
    driver.findElement(By.id("name")).sendKeys("Anna");
    driver.findElement(By.id("email")).sendKeys("anna@example.org");
    driver.findElement(By.id("message")).sendKeys("Do you bake spelt bread on Saturdays?");
    WebElement newsletter =
        driver.findElement(By.cssSelector("input[name=optin-purpose][value=newsletter]"));
    WebElement events =
        driver.findElement(By.cssSelector("input[name=optin-purpose][value=events]"));
    assertFalse(newsletter.isSelected() || events.isSelected(), "never pre-ticked");
    newsletter.click();
    events.click();
    shot("03-contact-form");
    driver.findElement(By.cssSelector("form button[type=submit]")).click();
    waitForText("Thank you, Anna!");
    assertTrue(text().contains("check your inbox"), text());

    // The confirmation mail in the mailbox.
    openMail("Please confirm");
    assertTrue(text().contains("anna@example.org"));
    assertFalse(text().contains("spelt"), "free text from the form is not relayed");
    WebElement frame = driver.findElement(By.cssSelector("iframe.mail-html"));
    assertTrue(
        frame.getDomAttribute("sandbox").contains("allow-top-navigation-by-user-activation"));
    shot("04-mailbox-confirmation");
    driver.findElement(By.partialLinkText("Confirm link")).click();
    waitForText("Confirm");

    // The confirm page: opening changed nothing; the button confirms.
    assertTrue(driver.getCurrentUrl().contains("/optin/confirm?token="));
    Subject anna = app.optIn().findSubject("anna@example.org").orElseThrow();
    assertEquals(
        Map.of("events", ConsentState.PENDING, "newsletter", ConsentState.PENDING), states(anna));
    shot("05-confirm");
    driver.findElement(By.cssSelector("main form button[type=submit]")).click();
    waitForText("Thank you, you are subscribed");
    assertEquals(
        Map.of("events", ConsentState.CONFIRMED, "newsletter", ConsentState.CONFIRMED),
        states(anna));
    shot("06-confirmed");

    // The receipt mail carries the preference link.
    openMail("is confirmed");
    driver.findElement(By.partialLinkText("Preferences link")).click();
    new WebDriverWait(driver, Duration.ofSeconds(15))
        .until(d -> d.getCurrentUrl().contains("/optin/preferences?token="));
    WebElement keepEvents = driver.findElement(By.id("optin-purpose-events"));
    assertTrue(
        keepEvents.isSelected()
            && driver.findElement(By.id("optin-purpose-newsletter")).isSelected());
    shot("07-preferences");

    // Withdraw one purpose: untick it and save.
    keepEvents.click();
    WebElement save = keepEvents.findElement(By.xpath("ancestor::form//button[@type='submit']"));
    save.click();
    waitForText("Your choices are saved");
    assertEquals(
        Map.of("events", ConsentState.WITHDRAWN, "newsletter", ConsentState.CONFIRMED),
        states(anna));
    assertTrue(app.optIn().mayMail("anna@example.org", PurposeId.of("newsletter")));
    assertFalse(app.optIn().mayMail("anna@example.org", PurposeId.of("events")));
    shot("08-preferences-saved");

    // The admin page shows the proof: both notices, the events with their verified hash chain, the
    // outbox.
    driver.get(site.replace("://", "://admin:" + PASSWORD + "@") + "/admin");
    assertTrue(text().contains("anna@example.org"), text());
    driver.findElement(By.linkText("anna@example.org")).click();
    waitForText("History");
    String admin = text();
    assertTrue(
        admin.contains("withdrawn")
            && admin.contains("confirmed")
            && admin.contains("preference_center"),
        admin);
    assertTrue(admin.contains("Chain intact"), "the history's hash chain verifies");
    shot("09-admin-subject");

    // The breach register: record an incident with the form; the 72-hour deadline and the affected
    // contact show.
    driver.get(site + "/admin");
    driver
        .findElement(By.id("inc-nature"))
        .sendKeys("A backup of the newsletter list was readable on the web server.");
    driver.findElement(By.id("inc-subjects")).sendKeys("newsletter subscribers");
    driver.findElement(By.id("inc-some")).click();
    driver.findElement(By.id("inc-purpose-newsletter")).click();
    driver.findElement(By.xpath("//button[text()='Record incident']")).click();
    waitForText("Incident recorded.");
    String incident = text();
    assertTrue(
        incident.matches("(?s).*Notify by\\s+\\S+ \\S+ UTC \\((71 h 5\\d|72 h 0) min left\\).*"),
        incident);
    assertTrue(incident.contains("anna@example.org"), "the affected contact");
    assertEquals(1, app.optIn().breaches().incidents().size());
    shot("10-admin-breach");
  }

  private ChromeDriver chrome() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--user-data-dir=" + profile.toAbsolutePath(),
        "--window-size=1200,900",
        "--lang=en-GB",
        "--hide-scrollbars",
        "--force-device-scale-factor=1");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver d = new ChromeDriver(service, options);
    d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20));
    d.manage().window().setSize(new Dimension(1200, 900));
    return d;
  }

  @Test
  void visitorOnTheScriptPageSignsUpThroughTheJsonApi() throws Exception {
    assertTrue(
        Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
        "headless Chromium is required: apt-get install -y chromium chromium-driver");
    app = SampleApp.start(Settings.forTest(data, PASSWORD));
    driver = chrome();
    driver.get(app.url() + "/api-signup");
    // The script fetches the notice and builds one unticked box per purpose.
    new WebDriverWait(driver, Duration.ofSeconds(15), Duration.ofMillis(100))
        .withMessage(() -> "the script built no form: " + text())
        .until(d -> !d.findElements(By.id("api-purpose-newsletter")).isEmpty());
    WebElement newsletter = driver.findElement(By.id("api-purpose-newsletter"));
    assertFalse(newsletter.isSelected(), "never pre-ticked");
    assertTrue(text().contains("De Gouden Korst B.V."), "the notice text, naming the controller");
    driver.findElement(By.id("api-email")).sendKeys("carl@example.org");
    newsletter.click();
    driver.findElement(By.cssSelector("#api-signup button[type=submit]")).click();
    waitForText("confirmation link");
    Subject carl = app.optIn().findSubject("carl@example.org").orElseThrow();
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states(carl));
  }

  private String text() {
    return driver.findElement(By.tagName("body")).getText();
  }

  /** Waits for the page after a click (the old page's elements go stale meanwhile). */
  private void waitForText(String expected) {
    new WebDriverWait(driver, Duration.ofSeconds(15), Duration.ofMillis(100))
        .ignoring(StaleElementReferenceException.class)
        .withMessage(() -> "page never said \"" + expected + "\"")
        .until(d -> text().contains(expected));
  }

  private Map<String, ConsentState> states(Subject subject) {
    Map<String, ConsentState> out = new TreeMap<>();
    for (Consent c : app.optIn().consents(subject.id())) {
      out.put(c.purpose().value(), c.state());
    }
    return out;
  }

  /** Opens the mailbox, waiting for a mail whose subject contains the word, and opens it. */
  private void openMail(String word) {
    new WebDriverWait(driver, Duration.ofSeconds(20), Duration.ofMillis(300))
        .until(
            d -> {
              // The mailbox needs the admin login; credentials in the URL sign the browser in for
              // the whole origin.
              d.get(app.url().replace("://", "://admin:" + PASSWORD + "@") + "/dev/mailbox");
              List<WebElement> links = d.findElements(By.cssSelector("table.mails td a"));
              for (WebElement a : links) {
                if (a.getText()
                    .toLowerCase(java.util.Locale.ROOT)
                    .contains(word.toLowerCase(java.util.Locale.ROOT))) {
                  a.click();
                  return true;
                }
              }
              return false;
            });
  }

  private void shot(String name) throws Exception {
    Files.write(
        shots.resolve(name + ".png"), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    if (ACCESSIBILITY_CHECKED.contains(name)) {
      assertNoWcag21AaViolation(name);
    }
  }

  /** The hosted pages and the sample's forms (not the dev mailbox or the admin pages). */
  private static final java.util.Set<String> ACCESSIBILITY_CHECKED =
      java.util.Set.of(
          "02-hosted-signup",
          "03-contact-form",
          "05-confirm",
          "06-confirmed",
          "07-preferences",
          "08-preferences-saved");

  /** axe-core in the page, with the WCAG 2.0 and 2.1 A and AA rules. */
  private void assertNoWcag21AaViolation(String page) {
    com.deque.html.axecore.results.Results results =
        new com.deque.html.axecore.selenium.AxeBuilder()
            .withTags(java.util.List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa"))
            .analyze(driver);
    StringBuilder found = new StringBuilder();
    for (com.deque.html.axecore.results.Rule rule : results.getViolations()) {
      found.append(rule.getId()).append(": ").append(rule.getHelp());
      for (com.deque.html.axecore.results.CheckedNode node : rule.getNodes()) {
        found.append("\n  ").append(node.getTarget());
      }
      found.append('\n');
    }
    assertTrue(found.isEmpty(), page + ": WCAG 2.1 AA violations:\n" + found);
  }
}
