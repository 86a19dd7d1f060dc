package org.optin4j.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Buffers a response only if it turns out to be {@code text/html}, decided when the first byte of the body is
 * written (not when the stream is obtained: Tomcat's default servlet takes the stream before it sets the content
 * type); anything else streams straight through. ETag and Last-Modified are dropped, and the
 * content length is set again after the markers are replaced.
 *
 * <p>One per request; not thread-safe.
 */
final class MarkerResponse extends HttpServletResponseWrapper {
  // Sized when the response turns out to be HTML (from its content length, if the servlet set one): growing from
  // the default 32 bytes copied a 20 KB page ten times.
  private Buffer buffer = new Buffer(0);
  private Boolean buffering;
  private ServletOutputStream stream;
  private PrintWriter writer;
  private long pendingLength = -1;
  private final java.util.List<Runnable> validators = new java.util.ArrayList<>();

  MarkerResponse(HttpServletResponse response) {
    super(response);
  }

  private boolean decide() {
    if (buffering == null) {
      String type = getContentType();
      buffering = type != null && type.toLowerCase(Locale.ROOT).startsWith("text/html");
      if (!buffering) {
        passThroughHeld();
      } else if (buffer.size() == 0) {
        buffer = new Buffer((int) Math.min(Math.max(pendingLength, 8192), 1 << 20));
      }
    }
    return buffering;
  }

  Charset charset() {
    String enc = getCharacterEncoding();
    try {
      return enc == null ? StandardCharsets.ISO_8859_1 : Charset.forName(enc);
    } catch (IllegalArgumentException e) {
      return StandardCharsets.ISO_8859_1;
    }
  }

  @Override
  public void setContentLength(int len) {
    setContentLengthLong(len);
  }

  @Override
  public void setContentLengthLong(long len) {
    if (buffering == null) {
      pendingLength = len;
    } else if (!buffering) {
      super.setContentLengthLong(len);
    }
  }

  /** Sends what was held back until the decision: the length and the validators of a page not rewritten. */
  private void passThroughHeld() {
    if (pendingLength >= 0) {
      super.setContentLengthLong(pendingLength);
    }
    validators.forEach(Runnable::run);
    validators.clear();
  }

  private static boolean validator(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.equals("etag") || n.equals("last-modified");
  }

  /** ETag and Last-Modified describe the page before rewriting: held back until it is known whether it is HTML. */
  private boolean hold(String name, Runnable set) {
    if ("content-length".equalsIgnoreCase(name)) {
      return true;
    }
    if (!validator(name)) {
      return false;
    }
    if (buffering == null) {
      validators.add(set);
    } else if (!buffering) {
      set.run();
    }
    return true;
  }

  @Override
  public void setHeader(String name, String value) {
    if ("content-length".equalsIgnoreCase(name) && value != null && value.matches("[0-9]{1,18}")) {
      setContentLengthLong(Long.parseLong(value));
    } else if (!hold(name, () -> super.setHeader(name, value))) {
      super.setHeader(name, value);
    }
  }

  @Override
  public void addHeader(String name, String value) {
    if ("content-length".equalsIgnoreCase(name) && value != null && value.matches("[0-9]{1,18}")) {
      setContentLengthLong(Long.parseLong(value));
    } else if (!hold(name, () -> super.addHeader(name, value))) {
      super.addHeader(name, value);
    }
  }

  @Override
  public void setDateHeader(String name, long date) {
    if (!hold(name, () -> super.setDateHeader(name, date))) {
      super.setDateHeader(name, date);
    }
  }

  @Override
  public void addDateHeader(String name, long date) {
    if (!hold(name, () -> super.addDateHeader(name, date))) {
      super.addDateHeader(name, date);
    }
  }

  @Override
  public ServletOutputStream getOutputStream() throws IOException {
    if (writer != null) {
      throw new IllegalStateException("getWriter() was already called");
    }
    if (stream == null) {
      stream = Boolean.FALSE.equals(buffering) ? super.getOutputStream() : new DecidingStream();
    }
    return stream;
  }

  @Override
  public PrintWriter getWriter() throws IOException {
    if (stream != null) {
      throw new IllegalStateException("getOutputStream() was already called");
    }
    if (writer == null) {
      writer = Boolean.FALSE.equals(buffering) ? super.getWriter() : new PrintWriter(new DecidingWriter());
    }
    return writer;
  }

  @Override
  public void flushBuffer() throws IOException {
    if (Boolean.TRUE.equals(buffering)) {
      if (writer != null) {
        writer.flush();
      }
    } else {
      super.flushBuffer();
    }
  }

  @Override
  public void resetBuffer() {
    buffer.reset();
    if (!Boolean.TRUE.equals(buffering)) {
      super.resetBuffer();
    }
  }

  @Override
  public void reset() {
    buffer.reset();
    pendingLength = -1;
    super.reset();
  }

  /** Where a marker was found in the page and what replaces it. */
  record Replacement(int start, int end, String html) {}

  /**
   * Writes the buffered page with its markers replaced to the real response; a no-op for a streamed response.
   *
   * <p>In a charset that spells ASCII as single bytes (UTF-8, ISO-8859-1, US-ASCII; the marker is ASCII) the page is
   * never decoded: {@code find} reads the bytes through a Latin-1 view, and the unchanged stretches of the page go
   * out as they came in. Only the replacements are encoded. Decoding, copying and encoding the whole page again cost
   * more than finding the markers in it.
   *
   * @param find returns the markers of the page with their replacements, in order, not overlapping
   */
  void finish(java.util.function.Function<CharSequence, java.util.List<Replacement>> find) throws IOException {
    if (!Boolean.TRUE.equals(buffering)) {
      if (buffering == null && !isCommitted()) {
        passThroughHeld();
      }
      return;
    }
    if (writer != null) {
      writer.flush();
    }
    Charset cs = charset();
    HttpServletResponse real = (HttpServletResponse) getResponse();
    real.setHeader("Cache-Control", "no-store");
    boolean asciiBytes = StandardCharsets.UTF_8.equals(cs) || StandardCharsets.ISO_8859_1.equals(cs)
        || StandardCharsets.US_ASCII.equals(cs);
    if (!asciiBytes) {
      String html = buffer.toString(cs);
      java.util.List<Replacement> found = find.apply(html);
      StringBuilder b = new StringBuilder(html.length() + 4096);
      int last = 0;
      for (Replacement r : found) {
        b.append(html, last, r.start()).append(r.html());
        last = r.end();
      }
      byte[] out = b.append(html, last, html.length()).toString().getBytes(cs);
      real.setContentLengthLong(out.length);
      real.getOutputStream().write(out);
      return;
    }
    byte[] page = buffer.bytes(); // the buffer itself, not a copy: valid up to pageLength
    int pageLength = buffer.size();
    java.util.List<Replacement> found = find.apply(new Latin1(page, 0, pageLength));
    byte[][] blocks = new byte[found.size()][];
    long length = pageLength;
    for (int i = 0; i < blocks.length; i++) {
      Replacement r = found.get(i);
      blocks[i] = r.html().getBytes(cs);
      length += blocks[i].length - (r.end() - r.start());
    }
    real.setContentLengthLong(length);
    ServletOutputStream out = real.getOutputStream();
    int last = 0;
    for (int i = 0; i < blocks.length; i++) {
      Replacement r = found.get(i);
      out.write(page, last, r.start() - last);
      out.write(blocks[i]);
      last = r.end();
    }
    out.write(page, last, pageLength - last);
  }

  /** A byte buffer that lends its array, so that the page is not copied once more before it is written. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer(int size) {
      super(size);
    }

    byte[] bytes() {
      return buf;
    }
  }

  /** Bytes read as ISO-8859-1 characters, without copying them. */
  private static final class Latin1 implements CharSequence {
    private final byte[] bytes;
    private final int from;
    private final int length;

    Latin1(byte[] bytes, int from, int length) {
      this.bytes = bytes;
      this.from = from;
      this.length = length;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      if (index < 0 || index >= length) {
        throw new IndexOutOfBoundsException(index);
      }
      return (char) (bytes[from + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      java.util.Objects.checkFromToIndex(start, end, length);
      return new Latin1(bytes, from + start, end - start);
    }

    @Override
    public String toString() {
      return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
    }
  }

  /** Decides on the first write: into the buffer (HTML) or through to the real stream. */
  private final class DecidingStream extends ServletOutputStream {
    private java.io.OutputStream target;

    private java.io.OutputStream target() throws IOException {
      if (target == null) {
        target = decide() ? buffer : MarkerResponse.super.getOutputStream();
      }
      return target;
    }

    @Override
    public void write(int b) throws IOException {
      target().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      target().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (target != null) {
        target.flush();
      }
    }

    @Override
    public void close() throws IOException {
      if (!Boolean.TRUE.equals(decideQuietly())) {
        target().close();
      }
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      try {
        java.io.OutputStream t = target();
        if (t instanceof ServletOutputStream real) {
          real.setWriteListener(listener);
        } else {
          listener.onWritePossible();
        }
      } catch (IOException e) {
        listener.onError(e);
      }
    }
  }

  /** The writer counterpart of {@link DecidingStream}. */
  private final class DecidingWriter extends java.io.Writer {
    private java.io.Writer target;

    private java.io.Writer target() throws IOException {
      if (target == null) {
        target = decide() ? new OutputStreamWriter(buffer, charset()) : MarkerResponse.super.getWriter();
      }
      return target;
    }

    @Override
    public void write(char[] c, int off, int len) throws IOException {
      target().write(c, off, len);
    }

    @Override
    public void flush() throws IOException {
      if (target != null) {
        target.flush();
      }
    }

    @Override
    public void close() throws IOException {
      target().close();
    }
  }

  private Boolean decideQuietly() {
    return buffering == null ? decide() : buffering;
  }
}
