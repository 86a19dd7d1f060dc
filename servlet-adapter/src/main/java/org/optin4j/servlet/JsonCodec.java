package org.optin4j.servlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads and writes the JSON API's bodies with Jackson, strictly: the body is capped before it is parsed, the parser's
 * limits are far below Jackson's defaults (nesting, string, number and name lengths), a duplicate key, trailing data or
 * a body that is not one JSON object is refused, and so is a field the endpoint does not take or a value of the wrong
 * type: each a {@link Problem} with status 400, never an internal error (OWASP Input Validation Cheat Sheet). Jackson
 * stays inside this package; no Jackson type is in a public signature.
 *
 * <p>Immutable and thread-safe.
 */
final class JsonCodec {
  /** The largest body read; larger ones are refused before parsing. Every request body of the API is far smaller. */
  static final int MAX_BODY = 16 * 1024;

  private static final StreamReadConstraints LIMITS =
      StreamReadConstraints.builder()
          .maxNestingDepth(8)
          .maxStringLength(MAX_BODY)
          .maxNumberLength(20)
          .maxNameLength(64)
          .maxDocumentLength(MAX_BODY)
          .build();

  private final JsonMapper mapper =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(LIMITS)
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .build();

  ObjectNode object() {
    return mapper.createObjectNode();
  }

  ArrayNode array() {
    return mapper.createArrayNode();
  }

  /**
   * Reads the body of a request as one JSON object whose fields are all among {@code allowed}; an empty body is an
   * empty object (endpoints without fields may be posted without a body).
   *
   * @throws ApiRefusal if the body is too large, not a JSON object or has another field
   */
  Body read(HttpServletRequest req, Set<String> allowed) throws IOException {
    if (req.getContentLengthLong() > MAX_BODY) {
      throw new ApiRefusal(
          Problem.BODY_TOO_LARGE, "The body may have at most " + MAX_BODY + " bytes.");
    }
    byte[] bytes;
    try (InputStream in = req.getInputStream()) {
      bytes = in.readNBytes(MAX_BODY + 1);
    }
    if (bytes.length > MAX_BODY) {
      throw new ApiRefusal(
          Problem.BODY_TOO_LARGE, "The body may have at most " + MAX_BODY + " bytes.");
    }
    if (isBlank(bytes)) {
      return new Body(object());
    }
    JsonNode node;
    try {
      // UTF-8 only (RFC 8259, section 8.1), decoded strictly here: left to itself, Jackson guesses
      // UTF-16 or UTF-32
      // from the first bytes and then fails with an I/O error rather than a parse error (found by
      // fuzzing).
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      node = mapper.readTree(text);
    } catch (CharacterCodingException | JsonProcessingException e) {
      // Never the parser's message: it quotes the input.
      throw new ApiRefusal(Problem.INVALID_JSON, "The body is not valid JSON in UTF-8.");
    }
    if (!(node instanceof ObjectNode o)) {
      throw new ApiRefusal(Problem.INVALID_JSON, "The body must be a JSON object.");
    }
    for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        boolean plain = name.matches("[A-Za-z0-9_-]{1,64}");
        throw new ApiRefusal(
            Problem.UNKNOWN_FIELD,
            "This endpoint takes only the fields "
                + String.join(", ", allowed.stream().sorted().toList())
                + ".",
            plain ? List.of(name) : List.of());
      }
    }
    return new Body(o);
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }

  /** Writes a JSON answer with {@code Cache-Control: no-store} (answers may concern one person). */
  void send(HttpServletResponse res, int status, JsonNode body) throws IOException {
    send(res, status, "application/json", body);
  }

  /** Writes a problem (RFC 9457): type, title, status, detail, and the fields concerned if any. */
  void problem(HttpServletResponse res, Problem problem, String detail, List<String> fields)
      throws IOException {
    ObjectNode p = object();
    p.put("type", problem.type());
    p.put("title", problem.title());
    p.put("status", problem.status());
    p.put("detail", detail);
    if (!fields.isEmpty()) {
      ArrayNode f = p.putArray("fields");
      fields.forEach(f::add);
    }
    send(res, problem.status(), Problem.MEDIA_TYPE, p);
  }

  private void send(HttpServletResponse res, int status, String type, JsonNode body)
      throws IOException {
    byte[] bytes = mapper.writeValueAsBytes(body);
    res.setStatus(status);
    res.setContentType(type);
    res.setCharacterEncoding("UTF-8");
    if (res.getHeader("Cache-Control") == null) {
      res.setHeader("Cache-Control", "no-store");
    }
    res.setContentLength(bytes.length);
    res.getOutputStream().write(bytes);
  }

  /** The fields of a request body, each read with its type checked. */
  static final class Body {
    private final ObjectNode node;

    Body(ObjectNode node) {
      this.node = node;
    }

    /** A string field, at most {@code max} characters; null if absent and not required. */
    String text(String name, boolean required, int max) {
      JsonNode v = node.get(name);
      if (v == null || v.isNull()) {
        if (required) {
          throw invalid(name, "is required");
        }
        return null;
      }
      if (!v.isTextual()) {
        throw invalid(name, "must be a string");
      }
      String s = v.textValue();
      if (s.length() > max) {
        throw invalid(name, "may have at most " + max + " characters");
      }
      return s;
    }

    /** An array of strings, at most {@code maxItems}; an empty list if absent and not required. */
    List<String> texts(String name, boolean required, int maxItems, int maxLength) {
      JsonNode v = node.get(name);
      if (v == null || v.isNull()) {
        if (required) {
          throw invalid(name, "is required");
        }
        return List.of();
      }
      if (!v.isArray()) {
        throw invalid(name, "must be an array of strings");
      }
      if (v.size() > maxItems) {
        throw invalid(name, "may have at most " + maxItems + " items");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode item : v) {
        if (!item.isTextual() || item.textValue().length() > maxLength) {
          throw invalid(name, "must be an array of strings");
        }
        out.add(item.textValue());
      }
      return out;
    }

    /** A boolean field; false if absent and not required. */
    boolean bool(String name, boolean required) {
      JsonNode v = node.get(name);
      if (v == null || v.isNull()) {
        if (required) {
          throw invalid(name, "is required");
        }
        return false;
      }
      if (!v.isBoolean()) {
        throw invalid(name, "must be true or false");
      }
      return v.booleanValue();
    }

    static ApiRefusal invalid(String name, String what) {
      return new ApiRefusal(
          Problem.INVALID_FIELD,
          ("The field " + name + " " + what + ".").replace("  ", " "),
          List.of(name));
    }
  }

  /** The lowercase media type of a request without parameters, or "" if none. */
  static String mediaType(HttpServletRequest req) {
    String ct = req.getContentType();
    if (ct == null) {
      return "";
    }
    int semi = ct.indexOf(';');
    return (semi < 0 ? ct : ct.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
  }
}
