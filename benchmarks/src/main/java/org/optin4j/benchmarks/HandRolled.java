package org.optin4j.benchmarks;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import javax.sql.DataSource;

/**
 * The storage floor: the least a double opt-in can do on the same database and pool. Subscribe is one INSERT of a
 * pending row with a random token (the token is handed to the load driver, standing in for the mail); the confirm page
 * is one SELECT by token; confirm is one UPDATE by token. Autocommit, no notice, no history, no outbox, no checks.
 */
final class HandRolled {
  final BlockingQueue<String> tokens = new LinkedBlockingQueue<>();
  private final DataSource ds;
  private final SecureRandom random = new SecureRandom();

  HandRolled(DataSource ds) {
    this.ds = ds;
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS floor_signups");
      st.execute(
          "CREATE TABLE floor_signups (token VARCHAR(32) NOT NULL PRIMARY KEY, email VARCHAR(254) NOT NULL, "
              + "created_at BIGINT NOT NULL, confirmed_at BIGINT)");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  HttpServlet subscribe() {
    return new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
        byte[] b = new byte[16];
        random.nextBytes(b);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        try (Connection c = ds.getConnection();
            PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO floor_signups (token, email, created_at) VALUES (?, ?, ?)")) {
          ps.setString(1, token);
          ps.setString(2, req.getParameter("email"));
          ps.setLong(3, System.currentTimeMillis());
          ps.executeUpdate();
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        tokens.add(token);
        res.setContentType("text/html;charset=UTF-8");
        res.getWriter().write("<!DOCTYPE html><p>Check your inbox.</p>");
      }
    };
  }

  HttpServlet confirm() {
    return new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        String token = req.getParameter("token");
        String email = null;
        try (Connection c = ds.getConnection();
            PreparedStatement ps =
                c.prepareStatement("SELECT email FROM floor_signups WHERE token = ?")) {
          ps.setString(1, token);
          try (ResultSet rs = ps.executeQuery()) {
            email = rs.next() ? rs.getString(1) : null;
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        if (email == null) {
          res.sendError(404);
          return;
        }
        res.setContentType("text/html;charset=UTF-8");
        res.getWriter()
            .write(
                "<!DOCTYPE html><form method=\"post\"><input type=\"hidden\" name=\"token\" value=\""
                    + token
                    + "\"><button>Confirm</button></form>");
      }

      @Override
      protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
        int n;
        try (Connection c = ds.getConnection();
            PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE floor_signups SET confirmed_at = ? WHERE token = ? AND confirmed_at IS NULL")) {
          ps.setLong(1, System.currentTimeMillis());
          ps.setString(2, req.getParameter("token"));
          n = ps.executeUpdate();
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        if (n != 1) {
          res.sendError(404);
          return;
        }
        res.setContentType("text/html;charset=UTF-8");
        res.getWriter().write("<!DOCTYPE html><p>Confirmed.</p>");
      }
    };
  }
}
