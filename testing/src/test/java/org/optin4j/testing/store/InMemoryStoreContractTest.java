package org.optin4j.testing.store;

import org.junit.jupiter.api.Nested;
import org.optin4j.memory.InMemoryConsentStore;

/**
 * Runs the packaged contract suite as a store author would, from the kit's jar against a store of the core: every
 * part, one nested class each, against {@link InMemoryConsentStore}. (The core runs the same parts against H2,
 * PostgreSQL and MariaDB too.)
 */
class InMemoryStoreContractTest {

  private static final StoreUnderTest MEMORY = InMemoryConsentStore::create;

  @Nested
  class Transactions extends TransactionStoreContract {
    Transactions() {
      super(MEMORY);
    }
  }

  @Nested
  class Subjects extends SubjectStoreContract {
    Subjects() {
      super(MEMORY);
    }
  }

  @Nested
  class History extends HistoryStoreContract {
    History() {
      super(MEMORY);
    }
  }

  @Nested
  class Notices extends NoticeStoreContract {
    Notices() {
      super(MEMORY);
    }
  }

  @Nested
  class Requests extends RequestStoreContract {
    Requests() {
      super(MEMORY);
    }
  }

  @Nested
  class Outbox extends OutboxStoreContract {
    Outbox() {
      super(MEMORY);
    }
  }

  @Nested
  class CampaignQueue extends CampaignQueueStoreContract {
    CampaignQueue() {
      super(MEMORY);
    }
  }

  @Nested
  class Retention extends RetentionStoreContract {
    Retention() {
      super(MEMORY);
    }
  }

  @Nested
  class Registers extends RegisterStoreContract {
    Registers() {
      super(MEMORY);
    }
  }

  @Nested
  class Feed extends FeedStoreContract {
    Feed() {
      super(MEMORY);
    }
  }

  @Nested
  class Webhooks extends WebhookStoreContract {
    Webhooks() {
      super(MEMORY);
    }
  }

  @Nested
  class Reports extends ReportStoreContract {
    Reports() {
      super(MEMORY);
    }
  }

  @Nested
  class SendRates extends SendRateStoreContract {
    SendRates() {
      super(MEMORY);
    }
  }

  @Nested
  class BatchReads extends BatchReadStoreContract {
    BatchReads() {
      super(MEMORY);
    }
  }
}
