package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;

/** SECURITY.md, "Secrets": the adapter's form key and the link tokens it handles never reach toString() or logs. */
class NoSecretsInFilterOutputTest {
  private final byte[] formKey = new byte[32];
  private final byte[] signingKey = new byte[32];

  NoSecretsInFilterOutputTest() {
    SecureRandom random = new SecureRandom();
    random.nextBytes(formKey);
    random.nextBytes(signingKey);
  }

  private OptIn optIn() {
    return OptIn.builder()
        .catalog(TestApp.catalog())
        .controller(
            new Controller("Shop B.V.", "Main St 1, Utrecht", "privacy@shop.example", null)
                .withSupervisoryAuthority(
                    "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
        .store(InMemoryConsentStore.create())
        .mailer(batch -> List.of())
        .signingKeys(SigningKeys.builder().active("k1", signingKey).build())
        .suppressionPepper(
            Base64.getDecoder().decode("q7dW3Y2l9v8x4N1c0pE5rT6uI7oP8aS9dF0gH1jK2lM="))
        .baseUrl("http://localhost/app/optin")
        .build();
  }

  private List<String> spellings(byte[] secret) {
    return List.of(
        Base64.getEncoder().encodeToString(secret),
        Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
        HexFormat.of().formatHex(secret),
        java.util.Arrays.toString(secret),
        new String(secret, StandardCharsets.ISO_8859_1));
  }

  private static void assertFree(String text, List<String> secrets) {
    for (String s : secrets) {
      for (int i = 0; i + 12 <= s.length(); i += 4) {
        String piece = s.substring(i, i + 12);
        assertFalse(text.contains(piece), () -> "contains part of a secret: " + text);
      }
    }
  }

  @Test
  void toStringWhenFilterAndSettingsHoldTheFormKeyThenNeverShowIt() {
    try (OptIn optIn = optIn()) {
      OptInFilter.Builder builder = OptInFilter.builder(optIn).formKey(formKey);
      OptInFilter filter = builder.build();
      List<String> secrets = new ArrayList<>(spellings(formKey));
      secrets.addAll(spellings(signingKey));
      for (Object o : List.of(filter, builder.settings(), optIn)) {
        assertFree(o.toString(), secrets);
      }
      assertTrue(filter.toString().contains("prefix=/optin"), filter.toString());
    }
  }

  @Test
  void internalErrorLogNamesThePathButNeverTheToken() throws Exception {
    List<String> logged = new CopyOnWriteArrayList<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            StringWriter w = new StringWriter();
            w.write(new SimpleFormatter().formatMessage(r));
            if (r.getThrown() != null) {
              r.getThrown().printStackTrace(new PrintWriter(w));
            }
            logged.add(w.toString());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger("org.optin4j");
    logger.addHandler(capture);
    Level before = logger.getLevel();
    logger.setLevel(Level.ALL);
    Server server = new Server();
    try (OptIn optIn = optIn()) {
      String token = optIn.preferencesUrl(org.optin4j.SubjectId.random(new SecureRandom()));
      token = token.substring(token.indexOf("token=") + 6);
      OptInFilter filter =
          OptInFilter.builder(optIn)
              .formKey(formKey)
              .humanCheck(
                  new HumanCheck() {
                    @Override
                    public String formHtml(HttpServletRequest request, Locale locale) {
                      throw new IllegalStateException("the CAPTCHA service is down");
                    }

                    @Override
                    public boolean verify(HttpServletRequest request) {
                      return true;
                    }
                  })
              .build();
      LocalConnector connector = new LocalConnector(server);
      ServletContextHandler ctx = new ServletContextHandler();
      ctx.setContextPath("/app");
      ctx.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
      server.addConnector(connector);
      server.setHandler(ctx);
      server.start();

      String response =
          connector.getResponse(
              "GET /app/optin/subscribe?token="
                  + token
                  + "&email=ann%40example.org"
                  + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

      assertTrue(response.startsWith("HTTP/1.1 500 "), response);
      assertFalse(response.contains(token), "the error page echoes the token");
      assertTrue(
          logged.stream().anyMatch(l -> l.contains("internal error on GET /optin/subscribe")),
          logged::toString);
      List<String> secrets = new ArrayList<>(spellings(formKey));
      secrets.add(token);
      for (String l : logged) {
        assertFree(l, secrets);
        assertFalse(l.contains("ann%40example.org") || l.contains("ann@example.org"), l);
      }
    } finally {
      server.stop();
      logger.removeHandler(capture);
      logger.setLevel(before);
    }
  }
}
