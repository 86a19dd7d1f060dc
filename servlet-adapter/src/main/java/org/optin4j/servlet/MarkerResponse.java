package org.optin4j.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
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
  /** A legal charset name, as {@link Charset} defines it. */
  private static final java.util.regex.Pattern CHARSET_NAME =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9+:_.-]*");

  // Sized when the response turns out to be HTML (from its content length, if the servlet set one):
  // growing from
  // the default 32 bytes copied a 20 KB page ten times.
  /** Set when the page is rewritten: what the app said about caching it. */
  private java.util.List<String> appCacheControl = java.util.List.of();

  private final PageBuffer buffer;
  private Boolean buffering;
  private ServletOutputStream stream;
  private PrintWriter writer;
  private long pendingLength = -1;
  private final java.util.List<Runnable> validators = new java.util.ArrayList<>();

  MarkerResponse(HttpServletResponse response) {
    this(response, null, 0);
  }

  /**
   * A response that compares what the app writes with the page it wrote last time, as it is written, instead of
   * copying it: if every byte is the same, nothing is copied and {@link Rewriter#splice} is told so.
   *
   * @param expected the bytes the app wrote last time at this path, or null; never modified
   * @param expectedLength how many of them
   */
  MarkerResponse(HttpServletResponse response, byte[] expected, int expectedLength) {
    super(response);
    this.buffer = new PageBuffer(expected, expectedLength);
  }

  private boolean decide() {
    if (buffering == null) {
      String type = getContentType();
      buffering = type != null && type.toLowerCase(Locale.ROOT).startsWith("text/html");
      if (!buffering) {
        passThroughHeld();
      } else {
        buffer.capacityHint((int) Math.min(Math.max(pendingLength, 8192), 1 << 20));
      }
    }
    return buffering;
  }

  /**
   * The charset the app declared, or ISO-8859-1 (the servlet default) if it declared none, one this JVM does not
   * know, or a malformed name. The name is checked first so that {@link Charset#isSupported} answers instead of
   * throwing.
   */
  Charset charset() {
    String enc = getCharacterEncoding();
    return enc != null && CHARSET_NAME.matcher(enc).matches() && Charset.isSupported(enc)
        ? Charset.forName(enc)
        : StandardCharsets.ISO_8859_1;
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

  @Override
  public void setHeader(String name, String value) {
    header(name, value, () -> super.setHeader(name, value));
  }

  @Override
  public void addHeader(String name, String value) {
    header(name, value, () -> super.addHeader(name, value));
  }

  @Override
  public void setDateHeader(String name, long date) {
    setOrHold(name, () -> super.setDateHeader(name, date));
  }

  @Override
  public void addDateHeader(String name, long date) {
    setOrHold(name, () -> super.addDateHeader(name, date));
  }

  /** A header with a text value: a Content-Length in digits is a content length; any other goes to setOrHold. */
  private void header(String name, String value, Runnable set) {
    if ("content-length".equalsIgnoreCase(name) && value != null && value.matches("[0-9]{1,18}")) {
      setContentLengthLong(Long.parseLong(value));
    } else {
      setOrHold(name, set);
    }
  }

  /**
   * Sets a header with {@code set}, except: ETag and Last-Modified describe the page before rewriting, so they are
   * held back until it is known whether it is HTML; a Content-Length that is not a content length is dropped.
   */
  private void setOrHold(String name, Runnable set) {
    if ("content-length".equalsIgnoreCase(name)) {
      return;
    }
    if (!validator(name)) {
      set.run();
    } else if (buffering == null) {
      validators.add(set);
    } else if (!buffering) {
      set.run();
    }
  }

  /** The app's own {@code Cache-Control} values, as they were before the rewritten page got {@code no-store}. */
  java.util.List<String> appCacheControl() {
    return appCacheControl;
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
      writer =
          Boolean.FALSE.equals(buffering)
              ? super.getWriter()
              : new PrintWriter(new DecidingWriter());
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

  /** Where a marker was found in the decoded page and what replaces it. */
  record Replacement(int start, int end, String html) {}

  /** Where a marker was found in the page's bytes and the bytes that replace it, in order. */
  record Splice(int start, int end, java.util.List<byte[]> parts) {}

  /** Finds the markers of a page and renders their replacements. */
  interface Rewriter {
    /**
     * For a page in a charset that spells ASCII as single bytes (UTF-8, ISO-8859-1, US-ASCII; the marker is ASCII).
     *
     * @param page the page's bytes up to {@code length}; never modified afterwards, so it may be kept
     * @param length the page's length
     * @param sameAsExpected whether the page is byte for byte the {@code expected} page this response was made with
     * @param charset the page's charset
     * @return the markers with their replacements, in order, not overlapping
     */
    java.util.List<Splice> splice(byte[] page, int length, boolean sameAsExpected, Charset charset);

    /**
     * For a page in any other charset, decoded.
     *
     * @return the markers with their replacements, in order, not overlapping
     */
    java.util.List<Replacement> replace(CharSequence html);
  }

  // Up to this size the rewritten page is assembled into one array and written with one call, so
  // that the container
  // sends headers and body in one go (three writes of a 20 KB page cost Jetty two or three
  // flushes); above it, the
  // pieces are written one by one rather than copying a large page once more.
  private static final int ONE_WRITE_LIMIT = 256 * 1024;

  /**
   * Writes the buffered page with its markers replaced to the real response; a no-op for a streamed response.
   *
   * <p>In a charset that spells ASCII as single bytes (UTF-8, ISO-8859-1, US-ASCII; the marker is ASCII) the page is
   * never decoded: the rewriter reads the bytes (through a {@link Latin1} view), and the unchanged stretches of the
   * page go out as they came in. Only the replacements are encoded. Decoding, copying and encoding the whole page
   * again cost more than finding the markers in it.
   */
  void finish(Rewriter rewriter) throws IOException {
    if (!Boolean.TRUE.equals(buffering)) {
      if (buffering == null && !isCommitted()) {
        passThroughHeld();
      }
      return;
    }
    if (writer != null) {
      writer.flush();
    }
    buffer.close();
    Charset cs = charset();
    HttpServletResponse real = (HttpServletResponse) getResponse();
    appCacheControl = java.util.List.copyOf(real.getHeaders("Cache-Control"));
    real.setHeader("Cache-Control", "no-store");
    boolean asciiBytes =
        StandardCharsets.UTF_8.equals(cs)
            || StandardCharsets.ISO_8859_1.equals(cs)
            || StandardCharsets.US_ASCII.equals(cs);
    if (!asciiBytes) {
      String html = new String(buffer.array(), 0, buffer.size(), cs);
      java.util.List<Replacement> found = rewriter.replace(html);
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
    byte[] page =
        buffer
            .array(); // the buffer itself or the expected page, not a copy: valid up to pageLength
    int pageLength = buffer.size();
    java.util.List<Splice> found = rewriter.splice(page, pageLength, buffer.identical(), cs);
    long length = pageLength;
    for (Splice s : found) {
      length -= s.end() - s.start();
      for (byte[] part : s.parts()) {
        length += part.length;
      }
    }
    real.setContentLengthLong(length);
    ServletOutputStream out = real.getOutputStream();
    if (length <= ONE_WRITE_LIMIT) {
      byte[] whole = new byte[(int) length];
      int at = 0;
      int last = 0;
      for (Splice s : found) {
        System.arraycopy(page, last, whole, at, s.start() - last);
        at += s.start() - last;
        for (byte[] part : s.parts()) {
          System.arraycopy(part, 0, whole, at, part.length);
          at += part.length;
        }
        last = s.end();
      }
      System.arraycopy(page, last, whole, at, pageLength - last);
      out.write(whole);
      return;
    }
    int last = 0;
    for (Splice s : found) {
      out.write(page, last, s.start() - last);
      for (byte[] part : s.parts()) {
        out.write(part);
      }
      last = s.end();
    }
    out.write(page, last, pageLength - last);
  }

  /**
   * Holds the page the app writes. Made with the page written last time at this path, it compares instead of
   * copying, as long as the bytes agree; at the first difference it copies the agreed prefix into its own array and
   * buffers from there. Lends its array rather than copying it; refuses writes once closed, so a lent array never
   * changes.
   */
  private static final class PageBuffer extends java.io.OutputStream {
    private final byte[] expected;
    private final int expectedLength;
    private boolean matching;
    private byte[] buf = new byte[0];
    private int count;
    private int capacityHint = 8192;
    private boolean closed;

    PageBuffer(byte[] expected, int expectedLength) {
      this.expected = expected;
      this.expectedLength = expected == null ? 0 : expectedLength;
      this.matching = expected != null;
    }

    void capacityHint(int hint) {
      capacityHint = hint;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (closed) {
        throw new IOException("the page was already rewritten");
      }
      if (matching) {
        if (len <= expectedLength - count
            && java.util.Arrays.equals(b, off, off + len, expected, count, count + len)) {
          count += len;
          return;
        }
        matching = false;
        buf = new byte[Math.max(capacityHint, count + len)];
        System.arraycopy(expected, 0, buf, 0, count);
      }
      if (len > buf.length - count) {
        buf =
            java.util.Arrays.copyOf(
                buf, Math.max(count + len, Math.max(capacityHint, buf.length * 2)));
      }
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    void reset() {
      count = 0;
      matching = expected != null;
    }

    int size() {
      return count;
    }

    /** Whether everything written so far is the expected page, whole. */
    boolean identical() {
      return matching && count == expectedLength;
    }

    byte[] array() {
      return matching ? expected : buf;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Bytes read as ISO-8859-1 characters, without copying them. */
  static final class Latin1 implements CharSequence {
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

  /** Opens one of two outputs; either may throw. */
  @FunctionalInterface
  private interface Opener<T> {
    T open() throws IOException;
  }

  /**
   * Where the app's output goes, chosen at its first write: into the buffer (HTML) or through to the real output.
   * Shared by the stream and the writer, which differ only in their type.
   */
  private final class Decided<T extends java.io.Flushable> {
    private final Opener<T> buffered;
    private final Opener<T> direct;
    private T target;

    Decided(Opener<T> buffered, Opener<T> direct) {
      this.buffered = buffered;
      this.direct = direct;
    }

    T get() throws IOException {
      if (target == null) {
        target = decide() ? buffered.open() : direct.open();
      }
      return target;
    }

    void flush() throws IOException {
      if (target != null) {
        target.flush();
      }
    }
  }

  /** Decides on the first write: into the buffer (HTML) or through to the real stream. */
  private final class DecidingStream extends ServletOutputStream {
    private final Decided<java.io.OutputStream> target =
        new Decided<>(() -> buffer, () -> MarkerResponse.super.getOutputStream());

    @Override
    public void write(int b) throws IOException {
      target.get().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      target.get().write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      target.flush();
    }

    @Override
    public void close() throws IOException {
      if (!Boolean.TRUE.equals(decideQuietly())) {
        target.get().close();
      }
    }

    @Override
    public boolean isReady() {
      return true;
    }

    @Override
    public void setWriteListener(WriteListener listener) {
      try {
        java.io.OutputStream t = target.get();
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
    private final Decided<java.io.Writer> target =
        new Decided<>(
            () -> new OutputStreamWriter(buffer, charset()),
            () -> MarkerResponse.super.getWriter());

    @Override
    public void write(char[] c, int off, int len) throws IOException {
      target.get().write(c, off, len);
    }

    @Override
    public void flush() throws IOException {
      target.flush();
    }

    @Override
    public void close() throws IOException {
      target.get().close();
    }
  }

  private Boolean decideQuietly() {
    return buffering == null ? decide() : buffering;
  }
}
