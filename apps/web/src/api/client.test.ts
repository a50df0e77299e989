import { afterEach, describe, expect, it, vi } from "vitest";

type Call = { url: string; init: RequestInit };
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Stubs global fetch with a scripted server; returns the calls the client made. */
function serve(handler: (url: string, init: RequestInit, n: number) => Response) {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push({ url: String(input), init });
    return handler(String(input), init, calls.length);
  });
  return calls;
}

// A fresh module per test: the CSRF token is module state.
async function client() {
  vi.resetModules();
  return import("./client.ts");
}

afterEach(() => vi.unstubAllGlobals());

const header = (c: Call | undefined, name: string) => new Headers(c?.init.headers).get(name);

describe("console API client", () => {
  it("fetches the CSRF token once and sends it on every write, with same-origin credentials", async () => {
    const calls = serve((url) => (url.endsWith("/csrf") ? json({ csrfToken: "tok-1" }) : json({ ok: true })));
    const { post, patch, get } = await client();
    await post("/login", { email: "a@example.com", password: "x" });
    await patch("/workspaces/current", { name: "n" });
    await get("/account");
    expect(calls.map((c) => `${c.init.method ?? "GET"} ${c.url}`)).toEqual([
      "GET /console/api/csrf",
      "POST /console/api/login",
      "PATCH /console/api/workspaces/current",
      "GET /console/api/account",
    ]);
    expect(header(calls[1], "x-csrf-token")).toBe("tok-1");
    expect(header(calls[2], "x-csrf-token")).toBe("tok-1");
    expect(header(calls[3], "x-csrf-token")).toBeNull();
    for (const c of calls) {
      expect(c.init.credentials).toBe("same-origin");
      expect(header(c, "authorization")).toBeNull();
    }
  });

  it("refreshes the token and retries once when the server answers csrf_failed", async () => {
    let token = 0;
    const calls = serve((url, init) => {
      if (url.endsWith("/csrf")) return json({ csrfToken: `tok-${++token}` });
      const sent = new Headers(init.headers).get("x-csrf-token");
      return sent === "tok-2"
        ? json({ done: true })
        : json({ code: "csrf_failed", message: "bad", requestId: "r" }, 403);
    });
    const { post } = await client();
    expect(await post("/logout")).toEqual({ done: true });
    expect(calls.filter((c) => c.url.endsWith("/csrf"))).toHaveLength(2);
  });

  it("a web app's writes carry that app's own token, never the console's", async () => {
    const site = "0123456789abcdef0123";
    let n = 0;
    const calls = serve((url, init) => {
      if (url.endsWith("/csrf"))
        return json({ csrfToken: `${url.startsWith("/app-api/") ? "app" : "con"}-${++n}` });
      const sent = new Headers(init.headers).get("x-csrf-token");
      // The first app token is refused once (rotated): the retry fetches the app's endpoint again.
      return sent === "app-2" ? json({ code: "csrf_failed", message: "bad", requestId: "r" }, 403) : json({});
    });
    const { fetchWithCsrf, postStream, post, csrfEndpoint } = await client();
    expect(csrfEndpoint(`/app-api/${site}/chat-messages`)).toBe(`/app-api/${site}/csrf`);
    expect(csrfEndpoint("/console/api/apps")).toBe("/console/api/csrf");
    await post("/logout");
    await fetchWithCsrf(`/app-api/${site}/visit`, { method: "POST" });
    await postStream(`/app-api/${site}/chat-messages`, { query: "q" });
    expect(calls.map((c) => `${c.init.method ?? "GET"} ${c.url} ${header(c, "x-csrf-token") ?? ""}`)).toEqual(
      [
        "GET /console/api/csrf ",
        "POST /console/api/logout con-1",
        `GET /app-api/${site}/csrf `,
        `POST /app-api/${site}/visit app-2`,
        `GET /app-api/${site}/csrf `,
        `POST /app-api/${site}/visit app-3`,
        `POST /app-api/${site}/chat-messages app-3`,
      ],
    );
  });

  it("turns error bodies into ApiError with the server's code, and unknown ones into safe codes", async () => {
    serve((url) =>
      url.endsWith("/a")
        ? json({ code: "invalid_credentials", message: "invalid email or password", requestId: "r" }, 401)
        : new Response("<html>bad gateway</html>", { status: 502 }),
    );
    const { get, ApiError } = await client();
    const a = await get("/a").catch((e: unknown) => e);
    expect(a).toBeInstanceOf(ApiError);
    expect(a).toMatchObject({ status: 401, code: "invalid_credentials" });
    await expect(get("/b")).rejects.toMatchObject({ status: 502, code: "internal_error" });
  });

  it("builds query strings from set values only", async () => {
    const { query } = await client();
    expect(query({ action: "app.create", outcome: "", limit: 10, to: undefined })).toBe(
      "?action=app.create&limit=10",
    );
    expect(query({})).toBe("");
  });
});
