package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.Mockito.clearInvocations;
import static org.mockito.Mockito.doNothing;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.notice;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.internal.HistoryChain;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.OutboxMail;

/**
 * What only a JDBC store promises, run on every database next to the store contract: the schema's life cycle and
 * version check, the shipped DDL, rollback after a unique-key clash, personal data kept out of exceptions, and claims
 * and notice versions under truly concurrent connections.
 */
interface JdbcStoreBehaviour {

  /** Returns the isolated database of the test class. */
  TestDatabase database();

  private JdbcConsentStore.Builder builder(String prefix) {
    return JdbcConsentStore.builder(database().dataSource()).tablePrefix(prefix);
  }

  private JdbcConsentStore freshStore() {
    return builder(database().nextPrefix()).createSchema(true).build();
  }

  // --- schema life cycle ---

  @Test
  default void buildThenDialectDetectedFromProductName() {
    assertEquals(database().dialect(), freshStore().dialect());
  }

  @Test
  default void buildWhenSchemaExistsThenReopenedAndDataKept() {
    String prefix = database().nextPrefix();
    JdbcConsentStore first = builder(prefix).createSchema(true).build();
    first.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          return null;
        });

    JdbcConsentStore again = builder(prefix).createSchema(true).build();
    JdbcConsentStore withoutCreate = builder(prefix).build();

    assertEquals(
        Optional.of(subject("ann")),
        again.inTransaction(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(
        Optional.of(subject("ann")),
        withoutCreate.inTransaction(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  @Test
  default void buildWhenSchemaMissingAndNotCreatingThenStoreExceptionNamingTheScripts() {
    String prefix = database().nextPrefix();

    StoreException e = assertThrows(StoreException.class, () -> builder(prefix).build());

    assertTrue(e.getMessage().contains("optin4j schema not found"), e.getMessage());
    assertTrue(
        e.getMessage().contains(database().dialect().scriptFolder() + "V1__schema.sql"),
        e.getMessage());
    assertTrue(e.getMessage().contains("createSchema(true)"), e.getMessage());
  }

  @Test
  default void buildWhenSchemaNewerThenStoreExceptionSayingSo() throws SQLException {
    String prefix = database().nextPrefix();
    builder(prefix).createSchema(true).build();
    int future = JdbcConsentStore.SCHEMA_VERSION + 1;
    database()
        .execute(
            "INSERT INTO "
                + prefix
                + "schema_version (version, description) VALUES ("
                + future
                + ", 'from the future')");

    StoreException e =
        assertThrows(StoreException.class, () -> builder(prefix).createSchema(true).build());

    assertTrue(
        e.getMessage()
            .startsWith(
                "optin4j schema version "
                    + future
                    + " found, this library needs "
                    + JdbcConsentStore.SCHEMA_VERSION
                    + ";"),
        e.getMessage());
    assertTrue(e.getMessage().contains("newer optin4j"), e.getMessage());
  }

  @Test
  default void buildWhenSchemaOlderThenStoreExceptionNamingTheUpgradeScripts() throws SQLException {
    String prefix = database().nextPrefix();
    builder(prefix).createSchema(true).build();
    database().execute("DELETE FROM " + prefix + "schema_version");

    StoreException e =
        assertThrows(StoreException.class, () -> builder(prefix).createSchema(true).build());

    assertTrue(
        e.getMessage()
            .startsWith(
                "optin4j schema version 0 found, this library needs "
                    + JdbcConsentStore.SCHEMA_VERSION
                    + ";"),
        e.getMessage());
    assertTrue(
        e.getMessage()
            .contains(
                "run the upgrade scripts "
                    + database().dialect().scriptFolder()
                    + "V1__schema.sql, V2__address_generation.sql, V3__nodes.sql, V4__feed.sql,"
                    + " V5__webhooks.sql, V6__reports.sql"),
        e.getMessage());
  }

  @Test
  default void buildWhenSchemaAtVersion2ThenNamesV3AndAcceptsTheSchemaOnceV3Applied()
      throws SQLException {
    String prefix = database().nextPrefix();
    for (String script : List.of("V1__schema.sql", "V2__address_generation.sql")) {
      for (String statement : Schema.statements(database().dialect(), script, prefix)) {
        database().execute(statement);
      }
    }

    StoreException e =
        assertThrows(StoreException.class, () -> builder(prefix).createSchema(true).build());

    assertTrue(
        e.getMessage()
            .startsWith(
                "optin4j schema version 2 found, this library needs "
                    + JdbcConsentStore.SCHEMA_VERSION
                    + "; run the upgrade scripts "
                    + database().dialect().scriptFolder()
                    + String.join(", ", Schema.SCRIPTS.subList(2, Schema.SCRIPTS.size()))
                    + " (with"),
        e.getMessage());
    for (String script : Schema.SCRIPTS.subList(2, Schema.SCRIPTS.size())) {
      for (String statement : Schema.statements(database().dialect(), script, prefix)) {
        database().execute(statement);
      }
    }
    JdbcConsentStore store = builder(prefix).build();
    assertEquals(List.of(), store.inTransaction(tx -> tx.registers().nodes()));
    assertEquals(List.of(), store.inTransaction(tx -> tx.feed().after(0, 10)));
    assertEquals(List.of(), store.inTransaction(tx -> tx.webhooks().subscriptions()));
  }

  @Test
  default void shippedDdlWhenAppliedByHandWithDefaultPrefixThenStoreAcceptsIt() throws Exception {
    // What a DBA does: run the files as shipped (default prefix), in order, statement by statement
    // (so V2 upgrades
    // what V1 created), then start the store.
    int statements = 0;
    for (String script : Schema.SCRIPTS) {
      String resource = database().dialect().scriptFolder() + script;
      String text;
      try (var in = JdbcStoreBehaviour.class.getClassLoader().getResourceAsStream(resource)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      String withoutComments =
          text.lines().filter(l -> !l.strip().startsWith("--")).collect(Collectors.joining("\n"));
      for (String statement : withoutComments.split(";\\s*(\n|$)")) {
        if (!statement.isBlank()) {
          database().execute(statement);
          statements++;
        }
      }
    }
    assertTrue(statements > 10, "statements " + statements);

    JdbcConsentStore store = JdbcConsentStore.create(database().dataSource());

    assertEquals(JdbcConsentStore.DEFAULT_TABLE_PREFIX, store.tablePrefix());
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          HistoryChain.append(
              tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
          return null;
        });
    for (String table :
        List.of(
            "schema_version",
            "subjects",
            "consents",
            "events",
            "notices",
            "requests",
            "used_tokens",
            "outbox",
            "address_changes",
            "suppressions")) {
      try (Connection c = database().dataSource().getConnection();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM optin4j_" + table)) {
        assertTrue(rs.next(), table);
      }
    }
  }

  @Test
  default void tablePrefixWhenInvalidThenIllegalArgument() {
    JdbcConsentStore.Builder b = JdbcConsentStore.builder(database().dataSource());

    for (String bad :
        List.of("", "1abc", "Upper_", "semi;colon", "a-b", "x".repeat(31), "drop table x;--")) {
      assertThrows(IllegalArgumentException.class, () -> b.tablePrefix(bad), bad);
    }
  }

  // --- transactions ---

  @Test
  default void duplicateKeyWhenPropagatedThenNoWriteOfTheUnitKept() {
    JdbcConsentStore store = freshStore();
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          return null;
        });

    assertThrows(
        DuplicateKeyException.class,
        () ->
            store.inTransaction(
                tx -> {
                  tx.subjects().insertSubject(subject("bob"));
                  tx.subjects()
                      .saveConsent(pendingConsent(subjectId("bob"), NEWSLETTER, "req-1", T0));
                  HistoryChain.append(
                      tx.history(),
                      event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
                  tx.requests().insertRequest(openRequest("req-1", subjectId("bob"), T0));
                  tx.notices().saveNotice(notice(Locale.ENGLISH, "text", NEWSLETTER));
                  assertTrue(tx.requests().useToken("jti-1", at(60)));
                  assertTrue(tx.outbox().enqueue(mail("m1", subjectId("bob"), email("bob"), T0)));
                  tx.subjects().insertSubject(new Subject(subjectId("cid"), email("ann"), T0));
                  return null;
                }));

    store.inTransaction(
        tx -> {
          assertEquals(Optional.empty(), tx.subjects().subject(subjectId("bob")));
          assertEquals(Optional.empty(), tx.subjects().subject(subjectId("cid")));
          assertEquals(List.of(), tx.subjects().consents(subjectId("bob")));
          assertEquals(List.of(), tx.history().events(subjectId("bob")));
          assertEquals(Optional.empty(), tx.requests().request("req-1"));
          assertEquals(
              Optional.empty(),
              tx.notices().notice(notice(Locale.ENGLISH, "text", NEWSLETTER).hash()));
          assertTrue(tx.requests().useToken("jti-1", at(60)));
          assertEquals(List.of(), tx.outbox().mails(subjectId("bob")));
          return null;
        });
  }

  @Test
  default void duplicateKeyThenNoPersonalDataInAnyMessageOfTheChain() {
    JdbcConsentStore store = freshStore();
    Subject ann = new Subject(subjectId("ann"), email("ann.secret-local-part"), T0);
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(ann);
          return null;
        });

    DuplicateKeyException e =
        assertThrows(
            DuplicateKeyException.class,
            () ->
                store.inTransaction(
                    tx -> {
                      tx.subjects().insertSubject(new Subject(subjectId("other"), ann.email(), T0));
                      return null;
                    }));

    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null; t = t.getCause()) {
      chain.add(t);
      chain.addAll(List.of(t.getSuppressed()));
    }
    for (Throwable t : chain) {
      String message = String.valueOf(t.getMessage());
      assertFalse(message.contains("secret-local-part"), t.getClass().getName() + ": " + message);
    }
  }

  @Test
  default void duplicateKeyWhenSwallowedThenLaterCallsRefusedAndUnitRolledBack() {
    JdbcConsentStore store = freshStore();
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          return null;
        });

    StoreException e =
        assertThrows(
            StoreException.class,
            () ->
                store.inTransaction(
                    tx -> {
                      tx.subjects().insertSubject(subject("bob"));
                      DuplicateKeyException d =
                          assertThrows(
                              DuplicateKeyException.class,
                              () -> tx.subjects().insertSubject(subject("ann")));
                      StoreException later =
                          assertThrows(
                              StoreException.class, () -> tx.subjects().subject(subjectId("bob")));
                      assertEquals(d, later.getCause());
                      return null;
                    }));

    assertTrue(e.getCause() instanceof DuplicateKeyException, String.valueOf(e.getCause()));
    assertEquals(
        Optional.empty(), store.inTransaction(tx -> tx.subjects().subject(subjectId("bob"))));
  }

  @Test
  default void useTokenAndEnqueueWhenTakenThenFalseAndTheUnitStillCommits() {
    JdbcConsentStore store = freshStore();

    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          assertTrue(tx.requests().useToken("jti-1", at(60)));
          assertFalse(tx.requests().useToken("jti-1", at(60)));
          assertTrue(tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
          assertFalse(
              tx.outbox()
                  .enqueue(
                      mail(
                          "m2",
                          org.optin4j.spi.MailKind.CONFIRMATION,
                          subjectId("ann"),
                          email("ann"),
                          "dedupe-m1",
                          T0)));
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
          return null;
        });

    assertEquals(1, store.inTransaction(tx -> tx.subjects().consents(subjectId("ann"))).size());
    assertEquals(1, store.inTransaction(tx -> tx.outbox().mails(subjectId("ann"))).size());
  }

  @Test
  default void inTransactionWhenNestedThenIllegalStateAndOuterUnaffected() {
    JdbcConsentStore store = freshStore();

    store.inTransaction(
        outer -> {
          outer.subjects().insertSubject(subject("ann"));
          assertThrows(IllegalStateException.class, () -> store.inTransaction(inner -> null));
          return null;
        });

    assertTrue(store.inTransaction(tx -> tx.subjects().subject(subjectId("ann"))).isPresent());
  }

  @Test
  default void transactionWhenUsedAfterItEndedThenIllegalState() {
    JdbcConsentStore store = freshStore();
    ConsentStore.Transaction leaked = store.inTransaction(tx -> tx);

    assertThrows(IllegalStateException.class, () -> leaked.subjects().subject(subjectId("ann")));
  }

  @Test
  default void inTransactionThenConnectionHandedBackClosedWithItsSettingsRestored()
      throws Exception {
    String prefix = database().nextPrefix();
    builder(prefix).createSchema(true).build();
    try (Connection real = database().dataSource().getConnection()) {
      real.setAutoCommit(true);
      real.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
      // The store's only connection: its close is recorded and not done, so the settings it
      // restored can be read.
      Connection lent = mock(Connection.class, delegatesTo(real));
      doNothing().when(lent).close();
      DataSource single = mock(DataSource.class, delegatesTo(database().dataSource()));
      doReturn(lent).when(single).getConnection();
      JdbcConsentStore store =
          JdbcConsentStore.builder(single)
              .dialect(database().dialect())
              .tablePrefix(prefix)
              .build();
      clearInvocations(lent);

      store.inTransaction(
          tx -> {
            tx.subjects().insertSubject(subject("ann"));
            return null;
          });
      assertThrows(
          IllegalStateException.class,
          () ->
              store.inTransaction(
                  tx -> {
                    tx.subjects().insertSubject(subject("bob"));
                    throw new IllegalStateException("boom");
                  }));

      verify(lent, times(2).description("every connection handed back")).close();
      assertTrue(real.getAutoCommit());
      assertEquals(Connection.TRANSACTION_SERIALIZABLE, real.getTransactionIsolation());
      assertTrue(store.inTransaction(tx -> tx.subjects().subject(subjectId("ann"))).isPresent());
      assertEquals(
          Optional.empty(), store.inTransaction(tx -> tx.subjects().subject(subjectId("bob"))));
    }
  }

  @Test
  default void timesThenKeptToTheMillisecond() {
    JdbcConsentStore store = freshStore();
    Subject ann =
        new Subject(subjectId("ann"), email("ann"), Instant.parse("2031-02-03T04:05:06.789Z"));

    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(ann);
          return null;
        });

    assertEquals(
        Optional.of(ann), store.inTransaction(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  // --- several connections at once (security rule 26) ---

  @Test
  default void claimMailsWhenAnotherConnectionHoldsClaimsThenDisjointRowsWithoutWaiting()
      throws Exception {
    JdbcConsentStore store = freshStore();
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          for (int i = 0; i < 10; i++) {
            tx.outbox().enqueue(mail("m" + i, subjectId("ann"), email("ann"), at(i)));
          }
          return null;
        });
    CountDownLatch firstClaimed = new CountDownLatch(1);
    CountDownLatch secondDone = new CountDownLatch(1);

    CompletableFuture<List<OutboxMail>> first =
        CompletableFuture.supplyAsync(
            () ->
                store.inTransaction(
                    tx -> {
                      List<OutboxMail> mine = tx.outbox().claimMails(at(100), at(400), 4);
                      firstClaimed.countDown();
                      await(secondDone); // keep the row locks until the second claimer is done
                      return mine;
                    }));
    assertTrue(firstClaimed.await(30, TimeUnit.SECONDS));
    List<OutboxMail> second =
        store.inTransaction(tx -> tx.outbox().claimMails(at(100), at(400), 10));
    secondDone.countDown();
    List<OutboxMail> firsts = first.get(30, TimeUnit.SECONDS);

    Set<String> a = firsts.stream().map(OutboxMail::id).collect(Collectors.toSet());
    Set<String> b = second.stream().map(OutboxMail::id).collect(Collectors.toSet());
    assertEquals(4, a.size());
    assertEquals(6, b.size(), "the second claimer skips the locked rows instead of waiting");
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    assertEquals(10, all.size(), "disjoint");
  }

  @Test
  default void saveNoticeWhenTwoConnectionsAddVersionsOfOneKeyThenDistinctVersions()
      throws Exception {
    JdbcConsentStore store = freshStore();
    CountDownLatch firstSaved = new CountDownLatch(1);

    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(
            () ->
                store.inTransaction(
                    tx -> {
                      int v =
                          tx.notices()
                              .saveNotice(notice(Locale.ENGLISH, "first text", NEWSLETTER))
                              .version();
                      firstSaved.countDown();
                      return v;
                    }));
    assertTrue(firstSaved.await(30, TimeUnit.SECONDS));
    // The first unit may or may not have committed yet: the unique (key, version) constraint makes
    // this wait or retry.
    int second =
        store
            .inTransaction(
                tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "second text", NEWSLETTER)))
            .version();

    assertEquals(Set.of(1, 2), Set.of(first.get(30, TimeUnit.SECONDS), second));
  }

  // --- references kept whole without foreign keys (V9) ---

  @Test
  default void purgeAndErasureThenNoRowOfAnyTableNamesADeletedSubjectOrRequest() throws Exception {
    String prefix = database().nextPrefix();
    JdbcConsentStore store = builder(prefix).createSchema(true).build();
    Instant cutoff = at(java.time.Duration.ofDays(10));
    store.inTransaction(
        tx -> {
          for (String name : List.of("lapsed", "erased", "kept")) {
            org.optin4j.SubjectId id = subjectId(name);
            tx.subjects().insertSubject(new Subject(id, email(name), at(0)));
            tx.history().lock(id);
            String requestId = "r-" + name;
            tx.requests()
                .insertRequest(
                    openRequest(
                        requestId,
                        id,
                        name.equals("kept") ? at(java.time.Duration.ofDays(9)) : at(0)));
            tx.subjects().saveConsent(pendingConsent(id, NEWSLETTER, requestId, at(0)));
            tx.outbox().enqueue(mail("m-" + name, id, email(name), at(0)));
            tx.requests().saveAddressChange(requestId, email(name + "-new"));
          }
          return null;
        });

    org.optin4j.spi.LapsedSignupPage page =
        store.inTransaction(tx -> tx.retention().deleteLapsedSignupPage(cutoff, null, 1000));
    boolean erased =
        store.inTransaction(tx -> tx.subjects().eraseSubject(subjectId("erased"), false));

    assertEquals(2, page.deleted(), "the lapsed signup and the one to erase (lapsed as well)");
    assertFalse(erased, "already purged");
    // The erasure on its own, on a subject the purge leaves alone.
    assertTrue(
        (boolean) store.inTransaction(tx -> tx.subjects().eraseSubject(subjectId("kept"), false)));
    List<String> checked = new ArrayList<>();
    try (Connection c = database().dataSource().getConnection()) {
      java.sql.DatabaseMetaData md = c.getMetaData();
      List<String[]> columns = new ArrayList<>();
      try (ResultSet rs = md.getColumns(c.getCatalog(), c.getSchema(), "%", "%")) {
        while (rs.next()) {
          String table = rs.getString("TABLE_NAME");
          String column = rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT);
          if (table.toLowerCase(Locale.ROOT).startsWith(prefix)
              && (column.equals("subject_id") || column.equals("request_id"))) {
            columns.add(new String[] {table, column});
          }
        }
      }
      for (String[] tc : columns) {
        boolean subject = tc[1].equals("subject_id");
        String parent = prefix + (subject ? "subjects" : "requests");
        if (tc[0].equalsIgnoreCase(parent)) {
          continue;
        }
        String orphans =
            "SELECT COUNT(*) FROM "
                + tc[0]
                + " x WHERE x."
                + tc[1]
                + " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                + parent
                + " p WHERE p.id = x."
                + tc[1]
                + ")";
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery(orphans)) {
          rs.next();
          assertEquals(0, rs.getLong(1), tc[0] + "." + tc[1] + " names a deleted row");
        }
        checked.add(tc[0].toLowerCase(Locale.ROOT) + "." + tc[1]);
      }
    }
    assertTrue(
        checked.containsAll(
            List.of(
                prefix + "consents.subject_id",
                prefix + "requests.subject_id",
                prefix + "outbox.subject_id",
                prefix + "address_changes.request_id",
                prefix + "events.subject_id",
                prefix + "history_heads.subject_id")),
        checked.toString());
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(30, TimeUnit.SECONDS), "latch");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
