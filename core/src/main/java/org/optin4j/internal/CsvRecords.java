package org.optin4j.internal;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CSV records one at a time (RFC 4180): fields separated by commas, records by CRLF, LF or CR; a field in double
 * quotes may hold commas, line breaks and doubled quotes. A byte order mark before the first field is dropped, blank
 * lines are skipped, and a quote inside an unquoted field is kept as it is (exports seen in the wild write them). Only
 * the current record is held, and a record longer than {@link #MAX_RECORD_CHARS} is refused, so that a stray quote
 * cannot make one record of the rest of a large file.
 *
 * <p>Not thread-safe: one reader per file.
 */
final class CsvRecords {
  /** The longest record read, in characters. */
  static final int MAX_RECORD_CHARS = 1 << 20;

  private final Reader in;
  private int pushedBack = -2;
  private long line = 1;
  private long recordLine;
  private boolean first = true;

  CsvRecords(Reader in) {
    this.in = in;
  }

  /** The line of the file the last record returned starts on, from 1. */
  long recordLine() {
    return recordLine;
  }

  /**
   * Reads the next record.
   *
   * @return its fields, or {@code null} at the end of the file
   * @throws Malformed if the record has an unterminated quote or is too long; the reader is then at the end
   * @throws IOException if reading fails
   */
  List<String> next() throws IOException {
    while (true) {
      int c = read();
      if (first) {
        first = false;
        if (c == '\uFEFF') {
          c = read();
        }
      }
      if (c == -1) {
        return null;
      }
      if (c == '\r' || c == '\n') {
        endOfLine(c);
        continue; // a blank line
      }
      recordLine = line;
      return record(c);
    }
  }

  private List<String> record(int firstChar) throws IOException {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int length = 0;
    boolean quoted = false;
    boolean fieldStart = true;
    int c = firstChar;
    while (true) {
      if (++length > MAX_RECORD_CHARS) {
        drain();
        throw new Malformed(
            recordLine, "the record is longer than " + MAX_RECORD_CHARS + " characters");
      }
      if (quoted) {
        if (c == -1) {
          throw new Malformed(
              recordLine, "a quoted field is not closed before the end of the file");
        }
        if (c == '"') {
          int n = read();
          if (n == '"') {
            field.append('"');
          } else {
            quoted = false;
            c = n;
            continue;
          }
        } else {
          if (c == '\n' || (c == '\r')) {
            if (c == '\r') {
              int n = read();
              if (n != '\n') {
                unread(n);
              }
              field.append('\n');
            } else {
              field.append('\n');
            }
            line++;
          } else {
            field.append((char) c);
          }
        }
      } else if (c == '"' && fieldStart) {
        quoted = true;
        fieldStart = false;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
        fieldStart = true;
      } else if (c == -1 || c == '\r' || c == '\n') {
        if (c != -1) {
          endOfLine(c);
        }
        fields.add(field.toString());
        return fields;
      } else {
        field.append((char) c);
        fieldStart = false;
      }
      c = read();
    }
  }

  private void endOfLine(int c) throws IOException {
    if (c == '\r') {
      int n = read();
      if (n != '\n') {
        unread(n);
      }
    }
    line++;
  }

  private void drain() throws IOException {
    while (read() != -1) {
      // skip to the end: nothing after an unreadable record can be trusted to start a record
    }
  }

  private int read() throws IOException {
    if (pushedBack != -2) {
      int c = pushedBack;
      pushedBack = -2;
      return c;
    }
    return in.read();
  }

  private void unread(int c) {
    pushedBack = c;
  }

  /** A record that cannot be read; everything after it is skipped. */
  static final class Malformed extends IOException {
    private static final long serialVersionUID = 1L;
    private final long line;

    Malformed(long line, String reason) {
      super(reason);
      this.line = line;
    }

    long line() {
      return line;
    }
  }
}
