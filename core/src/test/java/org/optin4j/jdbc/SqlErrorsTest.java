package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.optin4j.StoreException;
import org.optin4j.spi.TransactionConflictException;

class SqlErrorsTest {

  @Test
  void wrapWhenDatabaseRolledBackForAConflictThenTransactionConflict() {
    for (String state : new String[] {"40001", "40P01"}) {
      StoreException e =
          SqlErrors.wrap("save a notice", new SQLException("Deadlock found", state, 1213));
      assertInstanceOf(TransactionConflictException.class, e, state);
      assertEquals(
          "database error: could not save a notice (SQLState " + state + ", vendor code 1213)",
          e.getMessage());
    }
  }

  @Test
  void wrapWhenOtherFailureThenPlainStoreException() {
    StoreException e =
        SqlErrors.wrap("insert a subject", new SQLException("Key (email)=(a@b.c)", "23505", 0));
    assertEquals(StoreException.class, e.getClass());
    assertFalse(e.getMessage().contains("a@b.c"), "no personal data in the message");
    assertEquals(
        StoreException.class,
        SqlErrors.wrap("read", new SQLException("x", (String) null, 0)).getClass());
  }
}
