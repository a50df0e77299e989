import { describe, expect, it } from "vitest";
import { renderToString } from "react-dom/server";
import { App } from "./App.tsx";

describe("web shell", () => {
  it("renders the product name and the server status", () => {
    const html = renderToString(<App initialHealth="ok" />);
    expect(html).toContain("<h1>Enclave</h1>");
    expect(html).toContain("Server: <!-- -->ok");
  });

  it("escapes what it renders: no raw HTML from data", () => {
    const html = renderToString(<App initialHealth={"<img src=x onerror=alert(1)>" as "ok"} />);
    expect(html).not.toContain("<img");
  });
});
