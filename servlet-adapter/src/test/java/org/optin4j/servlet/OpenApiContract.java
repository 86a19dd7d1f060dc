package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks an HTTP answer of the JSON API against the OpenAPI 3.1 document the module serves: the operation exists, the
 * status is one it lists, the content type is the one listed for that status, and the body validates against the
 * listed schema (JSON Schema 2020-12, {@code $ref}s resolved inside the document). Answers outside any operation
 * (unknown path, wrong method) must still be problems that validate against the document's {@code Problem} schema.
 */
final class OpenApiContract {
  private static final String ID = "https://optin4j.invalid/openapi.json";
  private final JsonNode doc;
  private final SchemaRegistry registry;
  private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

  OpenApiContract() throws IOException {
    String text;
    try (InputStream in =
        OpenApiContract.class.getClassLoader().getResourceAsStream(JsonApi.OPENAPI_RESOURCE)) {
      assertNotNull(in, "the OpenAPI document is a resource of the module");
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    this.doc = new ObjectMapper().readTree(text);
    this.registry =
        SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12, b -> b.schemas(Map.of(ID, text)));
  }

  JsonNode document() {
    return doc;
  }

  /**
   * Asserts that an answer matches the document.
   *
   * @param method the HTTP method
   * @param apiPath the path after the prefix, for example {@code /api/notice}, without query
   */
  void check(String method, String apiPath, Http.Response r) {
    String what = method + " " + apiPath + " -> " + r.status() + " " + r.body();
    assertTrue(r.status() < 500, "never a server error: " + what);
    JsonNode op = doc.path("paths").path(apiPath).path(method.toLowerCase(Locale.ROOT));
    String contentType = r.header("Content-Type");
    if (op.isMissingNode()) {
      assertTrue(r.status() == 404 || r.status() == 405 || r.status() == 403, what);
      assertMedia("application/problem+json", contentType, what);
      validate("#/components/schemas/Problem", r.body(), what);
      return;
    }
    JsonNode response = op.path("responses").path(Integer.toString(r.status()));
    assertTrue(!response.isMissingNode(), "status not in the document: " + what);
    if (response.has("$ref")) {
      response = at(response.get("$ref").asText());
    }
    JsonNode content = response.path("content");
    assertEquals(1, content.size(), "one media type per answer in the document: " + what);
    String media = content.fieldNames().next();
    assertMedia(media, contentType, what);
    JsonNode schema = content.get(media).path("schema");
    if (schema.has("$ref")) {
      validate(schema.get("$ref").asText(), r.body(), what);
    } else {
      assertTrue(r.body().startsWith("{"), what);
    }
  }

  private static void assertMedia(String expected, String contentType, String what) {
    assertNotNull(contentType, "a content type: " + what);
    assertEquals(
        expected,
        contentType.split(";")[0].strip().toLowerCase(Locale.ROOT),
        "content type: " + what);
  }

  private JsonNode at(String pointer) {
    return doc.at(pointer.substring(1));
  }

  void validate(String pointer, String body, String what) {
    Schema s = schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(ID + p)));
    List<Error> errors = s.validate(body, InputFormat.JSON);
    assertTrue(errors.isEmpty(), "against " + pointer + ": " + errors + " in " + what);
  }
}
