package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.optin4j.ConsentRequest;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.PurgeReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The retention job deletes lapsed signups a page at a time (issue 17: one pass per page on PostgreSQL, the
 * store's default elsewhere): over several pages, each lapsed signup is deleted and counted exactly once, and a signup
 * still within its link's life is left alone.
 */
class JdbcPurgePagesTest {
  private static final int LAPSED = 2_300; // three pages of 1,000

  static Stream<Arguments> stores() {
    return Stream.of(Arguments.of("memory"), Arguments.of("h2"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stores")
  void purgeWhenSeveralPagesLapsedThenEachDeletedAndCountedOnce(String kind) throws Exception {
    TestDatabase database = kind.equals("h2") ? new TestDatabase.H2() : null;
    ConsentStore store =
        database == null
            ? InMemoryConsentStore.create()
            : JdbcConsentStore.builder(database.dataSource())
                .tablePrefix(database.nextPrefix())
                .createSchema(true)
                .build();
    TestClock clock = TestClock.at(Instant.parse("2026-03-01T10:00:00Z"));
    try (OptIn optIn = Fixtures.builder(store, new RecordingMailer(), clock).build()) {
      List<SubjectId> lapsed = new ArrayList<>();
      for (int i = 0; i < LAPSED; i++) {
        lapsed.add(signup(optIn, "lapsed" + i + "@example.org"));
      }
      clock.advance(Duration.ofDays(10)); // the links ran out 8 days ago, past the 7-day grace
      SubjectId fresh = signup(optIn, "fresh@example.org");

      PurgeReport report = optIn.operations().purge();

      assertEquals(LAPSED, report.purgedSubjects(), "each deleted, and counted, once");
      for (SubjectId id : lapsed) {
        assertTrue(optIn.subject(id).isEmpty(), "lapsed signup left: " + id);
      }
      assertTrue(optIn.subject(fresh).isPresent(), "a signup within its link's life stays");
      assertEquals(0, optIn.operations().purge().purgedSubjects(), "nothing left for a second run");
    } finally {
      if (database != null) {
        database.close();
      }
    }
  }

  private static SubjectId signup(OptIn optIn, String email) {
    return assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of(email, Locale.ENGLISH, Fixtures.NEWSLETTER)))
        .subjectId();
  }
}
