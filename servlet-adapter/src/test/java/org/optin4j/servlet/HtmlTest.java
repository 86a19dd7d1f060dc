package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HtmlTest {
  private static final String EVIL = "\"><script>alert('x')</script>";

  @Test
  void textWhenValueHasScriptAndQuoteThenEscaped() {
    String html = new Html().element("p", EVIL).toString();

    assertEquals("<p>&#34;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>", html);
    assertFalse(html.contains("<script"));
  }

  @Test
  void attributeWhenValueHasScriptAndQuoteThenEscapedAndCannotCloseTheAttribute() {
    String html = new Html().start("input").attr("value", EVIL).flag("required").end().toString();

    assertEquals(
        "<input value=\"&#34;>&lt;script>alert(&#39;x&#39;)&lt;/script>\" required>", html);
    assertFalse(html.contains("<script"));
  }

  @Test
  void hiddenFieldWhenNameAndValueHaveMarkupThenBothEscaped() {
    String html = new Html().hidden("a\"b", "<b>&").toString();

    assertEquals("<input type=\"hidden\" name=\"a&#34;b\" value=\"&lt;b>&amp;\">\n", html);
  }

  @Test
  void openWithAttributeWhenValueHasQuoteThenEscaped() {
    assertEquals(
        "<a href=\"/x?a=1&amp;b=&#34;\">t&amp;c</a>",
        new Html().open("a", "href", "/x?a=1&b=\"").text("t&c").close("a").toString());
  }

  @Test
  void tagOrAttributeNameWhenNotAPlainNameThenRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Html().start("a onclick=alert(1)"));
    assertThrows(
        IllegalArgumentException.class, () -> new Html().start("a").attr("x\" onclick=\"y", "v"));
    assertThrows(IllegalArgumentException.class, () -> new Html().flag("Checked"));
    assertThrows(IllegalArgumentException.class, () -> new Html().close("/p"));
    assertThrows(IllegalArgumentException.class, () -> new Html().open(""));
  }

  @Test
  void trustedAndAppendWhenGivenLibraryMarkupThenWrittenAsIs() {
    Html inner = new Html().element("em", "<i>");

    String html =
        new Html()
            .trusted("<div class=\"optin-block\">")
            .append(inner)
            .close("div")
            .nl()
            .toString();

    assertEquals("<div class=\"optin-block\"><em>&lt;i&gt;</em></div>\n", html);
  }

  @Test
  void linkParagraphWhenHrefAndTextHaveMarkupThenBothEscaped() {
    assertEquals(
        "<p><a href=\"&#34;>&lt;script>\">&lt;script&gt;</a></p>\n",
        Pages.link("\"><script>", "<script>").toString());
  }
}
