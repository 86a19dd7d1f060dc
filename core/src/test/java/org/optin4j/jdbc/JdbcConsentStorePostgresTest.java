package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Types;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.optin4j.testing.store.BatchReadStoreContract;
import org.optin4j.testing.store.CampaignQueueStoreContract;
import org.optin4j.testing.store.FeedStoreContract;
import org.optin4j.testing.store.HistoryStoreContract;
import org.optin4j.testing.store.NoticeStoreContract;
import org.optin4j.testing.store.OutboxStoreContract;
import org.optin4j.testing.store.RegisterStoreContract;
import org.optin4j.testing.store.ReportStoreContract;
import org.optin4j.testing.store.RequestStoreContract;
import org.optin4j.testing.store.RetentionStoreContract;
import org.optin4j.testing.store.SendRateStoreContract;
import org.optin4j.testing.store.SubjectStoreContract;
import org.optin4j.testing.store.TransactionStoreContract;
import org.optin4j.testing.store.WebhookStoreContract;

/**
 * Runs every part of the store contract, one nested class per part (reported as {@code
 * JdbcConsentStorePostgresTest$Outbox} and so on), and the JDBC behaviour on PostgreSQL on 127.0.0.1:5432 (a schema
 * per class, dropped afterwards); fails, never skips, when the server is down. Each test gets its own table prefix.
 */
class JdbcConsentStorePostgresTest extends JdbcStoreUnderTest {

  JdbcConsentStorePostgresTest() {
    super(TestDatabase.Postgres::new);
  }

  @Nested
  class Transactions extends TransactionStoreContract {
    Transactions() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Subjects extends SubjectStoreContract {
    Subjects() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class History extends HistoryStoreContract {
    History() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Notices extends NoticeStoreContract {
    Notices() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Requests extends RequestStoreContract {
    Requests() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Outbox extends OutboxStoreContract {
    Outbox() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class CampaignQueue extends CampaignQueueStoreContract {
    CampaignQueue() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Retention extends RetentionStoreContract {
    Retention() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Registers extends RegisterStoreContract {
    Registers() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Feed extends FeedStoreContract {
    Feed() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Webhooks extends WebhookStoreContract {
    Webhooks() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class Reports extends ReportStoreContract {
    Reports() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class SendRates extends SendRateStoreContract {
    SendRates() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Nested
  class BatchReads extends BatchReadStoreContract {
    BatchReads() {
      super(JdbcConsentStorePostgresTest.this);
    }
  }

  @Test
  void hotLookupsThenServedByTheirIndexes() throws Exception {
    String prefix = database().nextPrefix();
    JdbcConsentStore.builder(database().dataSource())
        .tablePrefix(prefix)
        .createSchema(true)
        .build();
    Statements sql = new Statements(JdbcConsentStore.Dialect.POSTGRESQL, prefix);
    Map<String, String> expected =
        Map.of(
            sql.subjectByEmail,
            prefix + "subjects_email_uq",
            sql.consentForUpdate,
            prefix + "consents_pk",
            sql.insertToken.replace("INSERT INTO", "SELECT 1 FROM").replaceAll(" \\(.*", "")
                + " WHERE token_id = ?",
            prefix + "used_tokens_pk",
            sql.countMailsNotCampaign,
            prefix + "outbox_caps_idx",
            sql.claimQueued,
            prefix + "outbox_due_idx",
            sql.claimExpired,
            prefix + "outbox_due_idx",
            sql.events,
            prefix + "events_subject_idx",
            sql.openRequestsExpiredBefore,
            prefix + "requests_expiry_idx",
            sql.expirableRequests,
            prefix + "requests_expiry_idx",
            sql.isSuppressed,
            prefix + "suppressions_pk");
    try (Connection c = database().dataSource().getConnection()) {
      try (Statement st = c.createStatement()) {
        st.execute(
            "SET enable_seqscan = off"); // tiny tables would be scanned; the question is whether an
        // index fits
      }
      for (Map.Entry<String, String> e : expected.entrySet()) {
        StringBuilder plan = new StringBuilder();
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + e.getKey())) {
          ParameterMetaData meta = ps.getParameterMetaData();
          for (int i = 1; i <= meta.getParameterCount(); i++) {
            switch (meta.getParameterType(i)) {
              case Types.BIGINT -> ps.setLong(i, 1);
              case Types.INTEGER -> ps.setInt(i, 1);
              case Types.SMALLINT -> ps.setShort(i, (short) 1);
              default -> ps.setString(i, "x");
            }
          }
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              plan.append(rs.getString(1)).append('\n');
            }
          }
        }
        // On an empty table the planner may pick any index that fits; what matters is that no scan
        // is needed.
        boolean indexed =
            plan.toString().contains(e.getValue())
                || plan.toString().contains("Index") && !plan.toString().contains("Seq Scan");
        assertTrue(
            indexed,
            "expected an index scan (e.g. " + e.getValue() + ") for " + e.getKey() + "\n" + plan);
      }
    }
  }
}
