package org.optin4j.servlet;

import java.util.List;

/**
 * A JSON API request refused with a {@link Problem}, thrown by the checks that read a request (body, fields, query)
 * and answered by {@link JsonApi} as {@code application/problem+json}. Carries no stack trace: it is an answer to the
 * client, not a failure of the server.
 */
final class ApiRefusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Problem problem;
  private final transient List<String> fields;

  /**
   * @param detail what is wrong, free of the input
   * @param fields the names of the fields concerned (field names are the API's own, never the client's values)
   */
  ApiRefusal(Problem problem, String detail, List<String> fields) {
    super(detail, null, false, false);
    this.problem = problem;
    this.fields = List.copyOf(fields);
  }

  ApiRefusal(Problem problem, String detail) {
    this(problem, detail, List.of());
  }

  Problem problem() {
    return problem;
  }

  List<String> fields() {
    return fields;
  }
}
