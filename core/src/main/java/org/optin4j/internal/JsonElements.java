package org.optin4j.internal;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Reads the objects of a JSON file's subscriber array one at a time, as text for a small parser: the elements of a
 * top-level array, or of an array under a key {@code "results"} (listmonk's API answer {@code {"data": {"results":
 * [...]}}}). Only the current object is held, at most {@link CsvRecords#MAX_RECORD_CHARS} characters, so a file of any
 * size reads in bounded memory. It checks only what it needs (nesting and strings); the parser checks each object.
 *
 * <p>Not thread-safe: one reader per file.
 */
final class JsonElements {
  private final Reader in;
  private final Deque<Frame> stack = new ArrayDeque<>();
  private long line = 1;
  private long elementLine;
  private boolean first = true;

  private static final class Frame {
    final boolean array;
    final String key;
    String lastString;

    Frame(boolean array, String key) {
      this.array = array;
      this.key = key;
    }
  }

  JsonElements(Reader in) {
    this.in = in;
  }

  /** The line the last object returned starts on, from 1. */
  long elementLine() {
    return elementLine;
  }

  /**
   * Reads the next subscriber object.
   *
   * @return its text, or {@code null} at the end of the file
   * @throws CsvRecords.Malformed if the file ends inside a string or an object, or an object is too long
   * @throws IOException if reading fails
   */
  String next() throws IOException {
    while (true) {
      int c = in.read();
      if (first) {
        first = false;
        if (c == '\uFEFF') {
          c = in.read();
        }
      }
      switch (c) {
        case -1 -> {
          return null;
        }
        case '\n' -> line++;
        case '"' -> {
          String s = string();
          if (!stack.isEmpty()) {
            stack.peek().lastString = s;
          }
        }
        case '{' -> {
          Frame top = stack.peek();
          if (top != null && top.array && (stack.size() == 1 || "results".equals(top.key))) {
            elementLine = line;
            return object();
          }
          stack.push(new Frame(false, keyForChild()));
        }
        case '[' -> stack.push(new Frame(true, keyForChild()));
        case '}', ']' -> {
          if (stack.isEmpty()) {
            throw new CsvRecords.Malformed(line, "unbalanced " + (char) c);
          }
          stack.pop();
        }
        default -> {
          // separators, numbers, literals, whitespace: nothing to keep
        }
      }
    }
  }

  private String keyForChild() {
    Frame top = stack.peek();
    return top == null || top.array ? null : top.lastString;
  }

  /** Reads a string after its opening quote, unescaping only what a key needs to be compared. */
  private String string() throws IOException {
    StringBuilder b = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c == -1) {
        throw new CsvRecords.Malformed(line, "the file ends inside a string");
      }
      if (c == '"') {
        return b.toString();
      }
      if (c == '\\') {
        c = in.read();
        if (c == -1) {
          throw new CsvRecords.Malformed(line, "the file ends inside a string");
        }
      } else if (c == '\n') {
        line++;
      }
      if (b.length() < 256) {
        b.append((char) c);
      }
    }
  }

  /** Copies one object after its opening brace, up to its closing brace. */
  private String object() throws IOException {
    StringBuilder b = new StringBuilder("{");
    int depth = 1;
    boolean inString = false;
    while (depth > 0) {
      int c = in.read();
      if (c == -1) {
        throw new CsvRecords.Malformed(elementLine, "the file ends inside an object");
      }
      if (b.length() >= CsvRecords.MAX_RECORD_CHARS) {
        throw new CsvRecords.Malformed(
            elementLine,
            "the object is longer than " + CsvRecords.MAX_RECORD_CHARS + " characters");
      }
      b.append((char) c);
      if (c == '\n') {
        line++;
      }
      if (inString) {
        if (c == '\\') {
          int n = in.read();
          if (n == -1) {
            throw new CsvRecords.Malformed(elementLine, "the file ends inside a string");
          }
          b.append((char) n);
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        depth++;
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
    return b.toString();
  }
}
