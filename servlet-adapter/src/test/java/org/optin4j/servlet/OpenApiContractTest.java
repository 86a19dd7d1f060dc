package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker the JSON API tests rely on refuses what the document does not allow: it would catch a drift. */
class OpenApiContractTest {
  private final OpenApiContract contract;

  OpenApiContractTest() throws Exception {
    contract = new OpenApiContract();
  }

  private static Http.Response response(int status, String type, String body) {
    return new Http.Response(
        status, HttpHeaders.of(Map.of("Content-Type", List.of(type)), (a, b) -> true), body);
  }

  @Test
  void documentIsOpenApi31WithTheJsonSchema2020Dialect() {
    assertEquals("3.1.0", contract.document().get("openapi").asText());
    assertEquals(
        "https://json-schema.org/draft/2020-12/schema",
        contract.document().get("jsonSchemaDialect").asText());
  }

  @Test
  void everyReferenceResolvesAndEveryOperationHasAnIdAndDescribedResponses() {
    com.fasterxml.jackson.databind.JsonNode doc = contract.document();
    List<String> refs = new java.util.ArrayList<>();
    collectRefs(doc, refs);
    assertTrue(refs.size() > 20, "the document uses references: " + refs.size());
    for (String ref : refs) {
      assertTrue(ref.startsWith("#/"), ref);
      assertFalse(doc.at(ref.substring(1)).isMissingNode(), "unresolved " + ref);
    }
    java.util.Set<String> ids = new java.util.HashSet<>();
    doc.get("paths")
        .properties()
        .forEach(
            path ->
                path.getValue()
                    .properties()
                    .forEach(
                        op -> {
                          String where = op.getKey() + " " + path.getKey();
                          assertTrue(ids.add(op.getValue().path("operationId").asText("")), where);
                          assertTrue(op.getValue().has("security"), "security stated: " + where);
                          op.getValue()
                              .get("responses")
                              .properties()
                              .forEach(
                                  r ->
                                      assertTrue(
                                          r.getValue().has("description")
                                              || r.getValue().has("$ref"),
                                          where + " " + r.getKey()));
                        }));
    assertFalse(ids.contains(""), "every operation has an id");
  }

  private static void collectRefs(com.fasterxml.jackson.databind.JsonNode n, List<String> out) {
    if (n.isObject()) {
      n.properties()
          .forEach(
              e -> {
                if ("$ref".equals(e.getKey())) {
                  out.add(e.getValue().asText());
                } else {
                  collectRefs(e.getValue(), out);
                }
              });
    } else if (n.isArray()) {
      n.forEach(x -> collectRefs(x, out));
    }
  }

  @Test
  void acceptsAnAnswerTheDocumentDescribes() {
    contract.check(
        "POST",
        "/api/subscribe",
        response(202, "application/json", "{\"status\":\"requested\",\"message\":\"m\"}"));
  }

  @Test
  void refusesABodyMissingARequiredField() {
    assertThrows(
        AssertionError.class,
        () ->
            contract.check(
                "GET",
                "/api/notice",
                response(200, "application/json", "{\"version\":1,\"language\":\"en\"}")));
  }

  @Test
  void refusesAStatusOrContentTypeTheDocumentDoesNotList() {
    assertThrows(
        AssertionError.class,
        () ->
            contract.check(
                "POST",
                "/api/subscribe",
                response(200, "application/json", "{\"status\":\"requested\",\"message\":\"m\"}")));
    assertThrows(
        AssertionError.class,
        () ->
            contract.check(
                "POST",
                "/api/subscribe",
                response(202, "text/html", "{\"status\":\"requested\",\"message\":\"m\"}")));
  }

  @Test
  void refusesAProblemWithAFieldRfc9457DoesNotHaveHere() {
    assertThrows(
        AssertionError.class,
        () ->
            contract.check(
                "GET",
                "/api/nowhere",
                response(
                    404,
                    "application/problem+json",
                    "{\"type\":\"urn:optin4j:problem:not-found\",\"title\":\"t\",\"status\":404,"
                        + "\"detail\":\"d\",\"stack\":\"at x\"}")));
  }
}
