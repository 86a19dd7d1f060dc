package org.optin4j;

import java.util.List;

/**
 * A setting is missing or invalid: thrown at build or load time, naming every offending setting at once.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ConfigurationException extends OptInException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /**
   * Creates an exception listing every problem found.
   *
   * @param problems one message per offending setting, each naming it
   */
  public ConfigurationException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  /**
   * Creates an exception for one problem.
   *
   * @param problem a message naming the offending setting
   */
  public ConfigurationException(String problem) {
    this(List.of(problem));
  }

  /** Returns one message per offending setting. */
  public List<String> problems() {
    return problems;
  }
}
