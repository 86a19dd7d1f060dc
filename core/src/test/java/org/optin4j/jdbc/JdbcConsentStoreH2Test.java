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
 * Runs every part of the store contract, one nested class per part (reported as {@code JdbcConsentStoreH2Test$Outbox}
 * and so on), and the JDBC behaviour on an H2 in-memory database (a uniquely named one per class). Each test gets its
 * own table prefix.
 */
class JdbcConsentStoreH2Test extends JdbcStoreUnderTest {

  JdbcConsentStoreH2Test() {
    super(TestDatabase.H2::new);
  }

  @Nested
  class Transactions extends TransactionStoreContract {
    Transactions() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Subjects extends SubjectStoreContract {
    Subjects() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class History extends HistoryStoreContract {
    History() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Notices extends NoticeStoreContract {
    Notices() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Requests extends RequestStoreContract {
    Requests() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Outbox extends OutboxStoreContract {
    Outbox() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class CampaignQueue extends CampaignQueueStoreContract {
    CampaignQueue() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Retention extends RetentionStoreContract {
    Retention() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Registers extends RegisterStoreContract {
    Registers() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Feed extends FeedStoreContract {
    Feed() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Webhooks extends WebhookStoreContract {
    Webhooks() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class Reports extends ReportStoreContract {
    Reports() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class SendRates extends SendRateStoreContract {
    SendRates() {
      super(JdbcConsentStoreH2Test.this);
    }
  }

  @Nested
  class BatchReads extends BatchReadStoreContract {
    BatchReads() {
      super(JdbcConsentStoreH2Test.this);
    }
  }
}
