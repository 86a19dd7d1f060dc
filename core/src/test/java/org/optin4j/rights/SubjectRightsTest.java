package org.optin4j.rights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationPreview;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.Retention;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.PurgeReport;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.OutboxMail;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** The subject's rights: erasure with suppression, restriction, access and portability, rectification; retention. */
class SubjectRightsTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final InMemoryConsentStore store = InMemoryConsentStore.create();
  private final OptIn optIn =
      Fixtures.builder(store, mailer, clock).evidencePolicy(EvidencePolicy.FULL).build();
  private final SubjectRights rights = optIn.rights();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(String email, PurposeId... purposes) {
    return OptInFlow.of(optIn, mailer, clock)
        .pauseAfterwards(Duration.ofMinutes(5))
        .confirmed(
            ConsentRequest.of(email, Locale.ENGLISH, purposes)
                .withEvidence(Evidence.of("203.0.113.9", "Firefox"))
                .withSource("https://bakery.example/signup"),
            Evidence.of("203.0.113.9", "Firefox"));
  }

  @Test
  void eraseRemovesAddressEvidenceAndMailsKeepsSuppressionAndDeidentifiedStub() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER, EVENTS);

    assertTrue(rights.erase(id, Channel.PREFERENCE_CENTER));

    assertTrue(optIn.subject(id).isEmpty());
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
    assertTrue(optIn.consents(id).isEmpty());
    assertTrue(optIn.operations().mails(id).isEmpty());
    assertTrue(rights.exportJson(id).isEmpty());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(rights.isSuppressed("ANN@example.org"));
    List<ConsentEvent> stub = optIn.proof().history(id);
    assertFalse(stub.isEmpty());
    for (ConsentEvent e : stub) {
      assertEquals(Evidence.NONE, e.evidence());
      assertNull(e.source());
      assertNull(e.tokenId());
    }
    assertEquals(ConsentEvent.Type.ERASED, stub.get(stub.size() - 1).type());
    assertFalse(rights.erase(id, Channel.OPERATOR), "erasing twice is a no-op");
  }

  @Test
  void eraseWhenPolicyKeepsNoHistoryThenNoEventsRemain() {
    try (OptIn strict =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
            .erasureKeepsHistory(false)
            .build()) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              strict.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
      assertTrue(strict.rights().erase(r.subjectId(), Channel.OPERATOR));
      assertTrue(strict.proof().history(r.subjectId()).isEmpty());
      assertTrue(strict.rights().isSuppressed("ann@example.org"));
    }
  }

  @Test
  void afterErasureAddressComesBackOnlyThroughFreshDoubleOptIn() {
    Purpose direct =
        Purpose.builder("account-news")
            .doubleOptIn(false)
            .text(Locale.ENGLISH, "Account news", "Changes to your account.", "your email address")
            .text(
                Locale.forLanguageTag("nl"),
                "Accountnieuws",
                "Wijzigingen in je account.",
                "je e-mailadres")
            .noRecipients()
            .noAutomatedDecisions()
            .retention(Retention.untilWithdrawn(Duration.ZERO))
            .build();
    PurposeCatalog c =
        PurposeCatalog.builder()
            .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
            .add(Fixtures.newsletter())
            .add(direct)
            .build();
    try (OptIn o =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).catalog(c).build()) {
      RequestResult.Accepted first =
          assertInstanceOf(
              RequestResult.Accepted.class,
              o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, direct.id())));
      assertEquals(Set.of(direct.id()), first.confirmedNow());
      o.rights().erase(first.subjectId(), Channel.PREFERENCE_CENTER);
      clock.advance(Duration.ofMinutes(5));

      RequestResult.Accepted again =
          assertInstanceOf(
              RequestResult.Accepted.class,
              o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, direct.id())));
      assertEquals(
          Set.of(direct.id()), again.pending(), "no single opt-in for a suppressed address");
      assertFalse(o.mayMail("ann@example.org", direct.id()));
      o.operations().dispatchNow();
      o.confirm(
          Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
      assertTrue(o.mayMail("ann@example.org", direct.id()));
      assertFalse(o.rights().isSuppressed("ann@example.org"));
    }
  }

  @Test
  void restrictionStopsMailButKeepsConsentAndIsRecorded() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);

    assertTrue(rights.restrict(id, NEWSLETTER, true, Channel.OPERATOR));
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertEquals(ConsentState.CONFIRMED, optIn.consents(id).get(0).state());
    assertFalse(rights.restrict(id, NEWSLETTER, true, Channel.OPERATOR));

    assertTrue(rights.restrict(id, NEWSLETTER, false, Channel.OPERATOR));
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    List<ConsentEvent.Type> types =
        optIn.proof().history(id).stream().map(ConsentEvent::type).toList();
    assertTrue(
        types.containsAll(
            List.of(ConsentEvent.Type.RESTRICTED, ConsentEvent.Type.RESTRICTION_LIFTED)));
    assertFalse(
        rights.restrict(id, EVENTS, true, Channel.OPERATOR), "no confirmed consent to restrict");
  }

  @Test
  void exportJsonHoldsEverythingAndValidatesAgainstThePublishedSchema() throws Exception {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER, EVENTS);
    optIn.withdraw(id, Set.of(EVENTS), Channel.PREFERENCE_CENTER, Evidence.NONE);

    String json = rights.exportJson(id).orElseThrow();

    Schema schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(Files.readString(Path.of("../docs/export-schema.json")), InputFormat.JSON);
    List<Error> errors = schema.validate(json, InputFormat.JSON);
    assertTrue(errors.isEmpty(), errors.toString());
    assertTrue(json.contains("\"email\":\"ann@example.org\""));
    assertTrue(json.contains("\"state\":\"WITHDRAWN\""));
    assertTrue(json.contains("\"ip\":\"203.0.113.9\""));
    assertTrue(json.contains("Monthly newsletter"), "the notice text is included");
  }

  @Test
  void schemaRejectsAnExportMissingItsVersion() throws Exception {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    String json = rights.exportJson(id).orElseThrow().replace("\"version\":1,", "");
    Schema schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(Files.readString(Path.of("../docs/export-schema.json")), InputFormat.JSON);
    assertFalse(schema.validate(json, InputFormat.JSON).isEmpty());
  }

  @Test
  void dataExportIsMailedAsJsonAttachmentToTheAddressOnFileAndCapped() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    mailer.clear();

    assertTrue(rights.requestDataExport(id));
    optIn.operations().dispatchNow();

    MailMessage mail = mailer.last();
    assertEquals("ann@example.org", mail.to().value());
    MailMessage.Attachment a = mail.attachments().get(0);
    assertEquals("application/json", a.contentType());
    String json = new String(a.content(), StandardCharsets.UTF_8);
    assertTrue(json.contains("\"subject\"") && json.contains("ann@example.org"));
    assertTrue(rights.requestDataExport(id));
    assertTrue(rights.requestDataExport(id));
    assertFalse(rights.requestDataExport(id), "at most 3 a day");
    assertFalse(rights.requestDataExport(SubjectId.random(new java.security.SecureRandom())));
  }

  @Test
  void addressChangeNeedsDoubleOptInOfNewAddressAndOldKeepsWorkingUntilThen() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    mailer.clear();

    RequestResult r =
        rights.requestAddressChange(id, "Ann.New@Example.org", Locale.ENGLISH, Evidence.NONE);

    assertInstanceOf(RequestResult.Accepted.class, r);
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("ann.new@example.org", NEWSLETTER));
    optIn.operations().dispatchNow();
    MailMessage mail = mailer.last();
    assertEquals("ann.new@example.org", mail.to().value());
    String token = Fixtures.token(mail.text(), "confirm");
    assertTrue(
        assertInstanceOf(ConfirmationPreview.Ready.class, optIn.preview(token)).addressChange());

    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));

    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(optIn.mayMail("ann.new@example.org", NEWSLETTER));
    assertEquals(id, optIn.findSubject("ann.new@example.org").orElseThrow().id());
    assertTrue(
        optIn.proof().history(id).stream()
            .anyMatch(e -> e.type() == ConsentEvent.Type.ADDRESS_CHANGED));
    assertInstanceOf(
        ConfirmationResult.AlreadyConfirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
  }

  @Test
  void addressChangeWhenNewAddressBelongsToAnotherSubjectThenInvalid() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    rights.requestAddressChange(ann, "bob@example.org", Locale.ENGLISH, Evidence.NONE);
    optIn.operations().dispatchNow();
    String token = Fixtures.token(mailer.last().text(), "confirm");
    clock.advance(Duration.ofMinutes(3)); // past the minimum interval of mails to bob@'s inbox
    confirmed("bob@example.org", NEWSLETTER);

    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void addressChangeWhenInvalidOrSameAddressOrUnknownSubject() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    assertInstanceOf(
        RequestResult.InvalidAddress.class,
        rights.requestAddressChange(id, "nope", Locale.ENGLISH, Evidence.NONE));
    assertInstanceOf(
        RequestResult.AlreadyConfirmed.class,
        rights.requestAddressChange(id, "ANN@example.org", Locale.ENGLISH, Evidence.NONE));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            rights.requestAddressChange(
                SubjectId.random(new java.security.SecureRandom()),
                "x@example.org",
                Locale.ENGLISH,
                Evidence.NONE));
  }

  @Test
  void purgeExpiresUnconfirmedRequestsThenDeletesThemAfterGrace() {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
    optIn.operations().dispatchNow();
    clock.advance(Duration.ofHours(49));

    PurgeReport first = optIn.operations().purge();
    assertEquals(1, first.expiredRequests());
    assertEquals(ConsentState.EXPIRED, optIn.consents(r.subjectId()).get(0).state());
    assertEquals(0, first.purgedSubjects());

    clock.advance(Duration.ofDays(8));
    PurgeReport second = optIn.operations().purge();
    assertEquals(1, second.purgedSubjects());
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
    assertTrue(
        optIn.proof().history(r.subjectId()).isEmpty(),
        "no proof is needed of a consent never given");
    assertFalse(
        rights.isSuppressed("ann@example.org"), "a lapsed signup is not an erasure request");
  }

  @Test
  void purgeWhenSignupLapsedLongerAgoThanTheGraceThenDeletesItInOneRun() {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
    optIn.operations().dispatchNow();
    clock.advance(Duration.ofDays(10)); // the link ran out 8 days ago, a day past the 7-day grace

    PurgeReport report = optIn.operations().purge();

    assertEquals(
        0,
        report.expiredRequests(),
        "not marked expired first: it would be deleted at once anyway");
    assertEquals(1, report.purgedSubjects());
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
    assertTrue(
        optIn.proof().history(r.subjectId()).isEmpty(),
        "no proof is needed of a consent never given");
    assertTrue(optIn.operations().mails(r.subjectId()).isEmpty());
    assertFalse(
        optIn.rights().isSuppressed("ann@example.org"),
        "a lapsed signup is not an erasure request");
    assertEquals(0, optIn.operations().purge().total(), "a second run finds nothing");
  }

  @Test
  void purgeWhenOnePurposeConfirmedAndAnotherSignupLapsedThenKeepsTheConfirmedOne() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    assertInstanceOf(
        RequestResult.Accepted.class,
        optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, EVENTS)));
    optIn.operations().dispatchNow();
    clock.advance(Duration.ofDays(10));

    PurgeReport report = optIn.operations().purge();

    assertEquals(1, report.expiredRequests());
    assertEquals(0, report.purgedSubjects());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertEquals(
        ConsentState.CONFIRMED,
        optIn.consents(id).stream()
            .filter(c -> c.purpose().equals(NEWSLETTER))
            .findFirst()
            .orElseThrow()
            .state());
    assertEquals(
        ConsentState.EXPIRED,
        optIn.consents(id).stream()
            .filter(c -> c.purpose().equals(EVENTS))
            .findFirst()
            .orElseThrow()
            .state());
    assertInstanceOf(HistoryVerification.Intact.class, optIn.proof().verifyHistory(id));
  }

  @Test
  void purgeEndsFixedRetentionConsentsAndKeepsProofUntilItsPeriodEnds() {
    SubjectId id = confirmed("ann@example.org", EVENTS);
    clock.advance(Duration.ofDays(366));

    assertEquals(1, optIn.operations().purge().expiredConsents());
    assertEquals(ConsentState.EXPIRED, optIn.consents(id).get(0).state());
    assertTrue(optIn.subject(id).isPresent(), "proof kept for its retention period");

    clock.advance(Duration.ofDays(366));
    assertEquals(1, optIn.operations().purge().purgedSubjects());
    assertTrue(optIn.subject(id).isEmpty());
  }

  @Test
  void purgeKeepsActiveSubjectsAndDeletesOldOutboxRowsAndUsedTokens() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    clock.advance(Duration.ofDays(31));

    PurgeReport report = optIn.operations().purge();

    assertEquals(0, report.purgedSubjects());
    assertEquals(2, report.deletedMails());
    assertEquals(1, report.deletedTokens());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(optIn.operations().mails(id).isEmpty());
    assertEquals(0, optIn.operations().purge().total(), "a second run finds nothing");
  }

  @Test
  void purgeOnTwoNodesAtOnceCountsEachItemOnce() throws Exception {
    for (int i = 0; i < 20; i++) {
      optIn.request(ConsentRequest.of("user" + i + "@example.org", Locale.ENGLISH, NEWSLETTER));
    }
    clock.advance(Duration.ofHours(49));
    try (OptIn other = Fixtures.builder(store, mailer, clock).build()) {
      var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
      var a = pool.submit(optIn.operations()::purge);
      var b = pool.submit(other.operations()::purge);
      int expired = a.get().expiredRequests() + b.get().expiredRequests();
      pool.shutdown();
      assertEquals(20, expired);
    }
  }

  @Test
  void mailToSuppressedAddressIsSkipped() {
    SubjectId id = confirmed("ann@example.org", NEWSLETTER);
    assertTrue(rights.requestDataExport(id));
    store.inTransaction(
        tx -> {
          tx.subjects().suppress(suppressionKeyOf(), clock.instant());
          return null;
        });
    mailer.clear();
    optIn.operations().dispatchNow();
    assertTrue(mailer.sent().isEmpty());
    List<OutboxMail> mails = optIn.operations().mails(id);
    assertEquals(OutboxMail.Status.SKIPPED, mails.get(mails.size() - 1).status());
  }

  /** The suppression key the service uses, found by erasing a throwaway subject with the same address elsewhere. */
  private String suppressionKeyOf() {
    InMemoryConsentStore other = InMemoryConsentStore.create();
    try (OptIn o = Fixtures.builder(other, new RecordingMailer(), clock).build()) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
      o.rights().erase(r.subjectId(), Channel.OPERATOR);
    }
    String mac;
    try {
      javax.crypto.Mac m = javax.crypto.Mac.getInstance("HmacSHA256");
      m.init(new javax.crypto.spec.SecretKeySpec(Fixtures.PEPPER, "HmacSHA256"));
      mac =
          java.util.HexFormat.of()
              .formatHex(m.doFinal("ann@example.org".getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
    String key = mac;
    boolean suppressed = other.inTransaction(tx -> tx.subjects().isSuppressed(key));
    assertTrue(suppressed, "the key is HMAC-SHA256(pepper, address)");
    return key;
  }
}
