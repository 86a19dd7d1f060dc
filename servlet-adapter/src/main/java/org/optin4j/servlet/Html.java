package org.optin4j.servlet;

import org.owasp.encoder.Encode;

/**
 * Writes the HTML of the hosted pages and the drop-in block, escaping by default: text goes through
 * {@link #text(String)} and attribute values through {@link #attr(String, String)}, both encoded for their context
 * with the OWASP Java Encoder (OWASP Cross Site Scripting Prevention Cheat Sheet: encode for the context). Tag and
 * attribute names are checked, not encoded: they are this library's own words, and a name that is not one throws.
 * The one way to add markup as it is, {@link #trusted(String)}, is named for what it may take: a fragment this
 * library made (or a {@link HumanCheck}'s, which must encode what it renders), never a value from a request or a text.
 * Writing the pages through this writer, rather than concatenating strings and calling an encoder by hand, means an
 * unencoded value cannot be forgotten.
 *
 * <p>A start tag is written in steps, so that pages keep their exact markup: {@link #start(String)}, then
 * {@link #attr(String, String)} and {@link #flag(String)}, then {@link #end()}.
 *
 * <p>Not thread-safe: one instance per page being written.
 */
final class Html {
  private final StringBuilder b;

  Html() {
    this(1024);
  }

  /** A writer sized for a page of about {@code capacity} characters, so that a long page is not copied as it grows. */
  Html(int capacity) {
    b = new StringBuilder(capacity);
  }

  /** Writes text, encoded for element content. */
  Html text(String text) {
    b.append(Encode.forHtml(text));
    return this;
  }

  /** Writes {@code <tag>}. */
  Html open(String tag) {
    return start(tag).end();
  }

  /** Writes {@code <tag name="value">} with the value encoded for an attribute. */
  Html open(String tag, String name, String value) {
    return start(tag).attr(name, value).end();
  }

  /** Writes {@code </tag>}. */
  Html close(String tag) {
    b.append("</").append(name(tag)).append('>');
    return this;
  }

  /** Writes {@code <tag>text</tag>} with the text encoded. */
  Html element(String tag, String text) {
    return open(tag).text(text).close(tag);
  }

  /** Starts a start tag, {@code <tag}: add attributes, then {@link #end()}. */
  Html start(String tag) {
    b.append('<').append(name(tag));
    return this;
  }

  /** Writes an attribute, {@code  name="value"}, with the value encoded for an attribute. */
  Html attr(String name, String value) {
    b.append(' ')
        .append(name(name))
        .append("=\"")
        .append(Encode.forHtmlAttribute(value))
        .append('"');
    return this;
  }

  /** Writes a boolean attribute, {@code  name} (for example {@code required}, {@code checked}). */
  Html flag(String name) {
    b.append(' ').append(name(name));
    return this;
  }

  /** Ends a start tag, {@code >}. */
  Html end() {
    b.append('>');
    return this;
  }

  /** Writes a line break between elements, as the pages have always been laid out. */
  Html nl() {
    b.append('\n');
    return this;
  }

  /** Writes a space between elements. */
  Html space() {
    b.append(' ');
    return this;
  }

  /** Writes {@code <input type="hidden" name="name" value="value">} and a line break. */
  Html hidden(String name, String value) {
    return start("input").attr("type", "hidden").attr("name", name).attr("value", value).end().nl();
  }

  /** Writes what another writer wrote: already encoded. */
  Html append(Html other) {
    b.append(other.b);
    return this;
  }

  /**
   * Writes a fragment as it is, unencoded: only for markup this library made itself (a cached block, a fragment
   * split around a form token) or that a {@link HumanCheck} rendered. Never for a value from a request, a store or a
   * text bundle: those go through {@link #text} or {@link #attr}.
   */
  Html trusted(String fragment) {
    b.append(fragment);
    return this;
  }

  /** The HTML written so far. */
  @Override
  public String toString() {
    return b.toString();
  }

  /** A tag or attribute name as this library spells them: a lower case letter, then letters, digits, hyphens. */
  private static String name(String name) {
    boolean ok = !name.isEmpty() && name.charAt(0) >= 'a' && name.charAt(0) <= 'z';
    for (int i = 1; ok && i < name.length(); i++) {
      char c = name.charAt(i);
      ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-';
    }
    if (!ok) {
      throw new IllegalArgumentException("not a tag or attribute name: " + name);
    }
    return name;
  }
}
