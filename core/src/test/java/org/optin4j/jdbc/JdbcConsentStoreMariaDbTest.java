package org.optin4j.jdbc;

import org.junit.jupiter.api.Nested;
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
 * JdbcConsentStoreMariaDbTest$Outbox} and so on), and the JDBC behaviour on MariaDB on 127.0.0.1:3306 (a database per
 * class, dropped afterwards); fails, never skips, when the server is down. Each test gets its own table prefix.
 */
class JdbcConsentStoreMariaDbTest extends JdbcStoreUnderTest {

  JdbcConsentStoreMariaDbTest() {
    super(TestDatabase.MariaDb::new);
  }

  @Nested
  class Transactions extends TransactionStoreContract {
    Transactions() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Subjects extends SubjectStoreContract {
    Subjects() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class History extends HistoryStoreContract {
    History() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Notices extends NoticeStoreContract {
    Notices() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Requests extends RequestStoreContract {
    Requests() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Outbox extends OutboxStoreContract {
    Outbox() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class CampaignQueue extends CampaignQueueStoreContract {
    CampaignQueue() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Retention extends RetentionStoreContract {
    Retention() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Registers extends RegisterStoreContract {
    Registers() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Feed extends FeedStoreContract {
    Feed() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Webhooks extends WebhookStoreContract {
    Webhooks() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class Reports extends ReportStoreContract {
    Reports() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class SendRates extends SendRateStoreContract {
    SendRates() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }

  @Nested
  class BatchReads extends BatchReadStoreContract {
    BatchReads() {
      super(JdbcConsentStoreMariaDbTest.this);
    }
  }
}
