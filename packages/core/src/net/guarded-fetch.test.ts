import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetch, OutboundBlockedError } from "./guarded-fetch.ts";

interface Local {
  server: Server;
  port: number;
  hits: string[];
}

async function listen(
  host: string,
  handler: (url: string, res: ServerResponse) => void,
  port = 0,
): Promise<Local> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    handler(req.url ?? "", res);
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe("guarded outbound fetch (SSRF)", () => {
  let internal: Local;
  let other: Local;
  beforeAll(async () => {
    internal = await listen("127.0.0.1", (url, res) => {
      if (url === "/to-metadata") {
        res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      } else if (url === "/to-other") {
        res.writeHead(302, { location: `http://127.0.0.2:${other.port}/secret` }).end();
      } else if (url === "/to-self") {
        res.writeHead(307, { location: "/ok" }).end();
      } else res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
    // Same port, different loopback address: what a rebinding attacker would swap in.
    other = await listen(
      "127.0.0.2",
      (_url, res) => res.writeHead(200).end("internal secret"),
      internal.port,
    );
  });
  afterAll(() => {
    internal.server.close();
    other.server.close();
  });

  const guarded = createGuardedFetch({ resolve: async () => [] });
  const hostile = (port: number) => [
    `http://127.0.0.1:${port}/`,
    `http://localhost:${port}/`,
    `http://2130706433:${port}/`, // decimal 127.0.0.1
    `http://0x7f000001:${port}/`, // hex
    `http://0177.0.0.1:${port}/`, // octal
    `http://127.1:${port}/`,
    `http://[::ffff:127.0.0.1]:${port}/`, // IPv4-mapped IPv6
    `http://[::ffff:7f00:1]:${port}/`,
    `http://[::1]:${port}/`,
    `http://0.0.0.0:${port}/`,
    "http://169.254.169.254/latest/meta-data/", // cloud metadata
    "http://[fd00:ec2::254]/latest/meta-data/", // AWS IPv6 metadata
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/", // CGNAT
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[64:ff9b::7f00:1]/", // NAT64 form of 127.0.0.1
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    `http://user:pass@example.com/`,
  ];

  it.each(hostile(0).map((u, i) => [u, i] as const))("refuses %s before connecting", async (_u, i) => {
    const url = hostile(internal.port)[i]!;
    const localhostResolver = createGuardedFetch({
      resolve: async (h) =>
        h === "localhost" ? ["127.0.0.1"] : h === "example.com" ? ["93.184.215.14"] : [],
    });
    await expect(localhostResolver(url)).rejects.toBeInstanceOf(OutboundBlockedError);
    expect(internal.hits).toEqual([]);
  });

  it("refuses a name when any of its answers is private", async () => {
    const f = createGuardedFetch({ resolve: async () => ["93.184.215.14", "127.0.0.1"] });
    await expect(f(`http://mixed.example:${internal.port}/`)).rejects.toThrow(/private or reserved/);
    await expect(guarded("http://unresolvable.invalid/")).rejects.toThrow(/cannot resolve/);
  });

  it("reaches an allowlisted internal host (a local model server), follows same-host redirects", async () => {
    const f = createGuardedFetch({ allowlist: ["127.0.0.1/32"], resolve: async () => [] });
    const res = await f(`http://127.0.0.1:${internal.port}/to-self`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("re-checks every redirect: an allowlisted host cannot bounce us to metadata or another internal host", async () => {
    const f = createGuardedFetch({ allowlist: ["127.0.0.1"], resolve: async () => [] });
    await expect(f(`http://127.0.0.1:${internal.port}/to-metadata`)).rejects.toThrow(/169\.254\.169\.254/);
    await expect(f(`http://127.0.0.1:${internal.port}/to-other`)).rejects.toThrow(/127\.0\.0\.2/);
    expect(other.hits).toEqual([]);
  });

  it("pins the connection to the checked address (DNS rebinding)", async () => {
    // The first answer is the allowlisted service; a second lookup would say 127.0.0.2.
    let calls = 0;
    const rebinding = async () => (calls++ === 0 ? ["127.0.0.1"] : ["127.0.0.2"]);
    const f = createGuardedFetch({ allowlist: ["127.0.0.1/32"], resolve: rebinding });
    const res = await f(`http://rebind.test:${internal.port}/`);
    expect(res.status).toBe(200);
    expect(calls).toBe(1);
    expect(other.hits).toEqual([]);
  });

  it("does not forward credentials across a redirect", async () => {
    const seen: (string | undefined)[] = [];
    const echo = await listen("127.0.0.1", (url, res) => {
      if (url === "/start") res.writeHead(302, { location: "/next" }).end();
      else res.writeHead(200).end();
    });
    echo.server.on("request", (req) => seen.push(req.headers.authorization));
    const f = createGuardedFetch({ allowlist: ["127.0.0.1"], resolve: async () => [] });
    await f(`http://127.0.0.1:${echo.port}/start`, { headers: { authorization: "Bearer canary" } });
    expect(seen).toEqual(["Bearer canary", undefined]);
    echo.server.close();
  });

  it("a deny list wins over the allowlist, whatever the host entry resolves to", async () => {
    const f = createGuardedFetch({
      allowlist: ["meta.evil.test", "127.0.0.1"],
      deny: ["169.254.0.0/16"],
      resolve: async (h) => (h === "meta.evil.test" ? ["169.254.169.254"] : []),
    });
    await expect(f("http://meta.evil.test/latest/meta-data/")).rejects.toThrow(/metadata/);
    await expect(f("http://[::ffff:169.254.169.254]/")).rejects.toThrow(/metadata/);
    const res = await f(`http://127.0.0.1:${internal.port}/`);
    expect(res.status).toBe(200);
  });

  describe("JSON bodies read ahead (bufferJsonBytes)", () => {
    let bodies: Local;
    const big = JSON.stringify({ data: "x".repeat(300_000) });
    beforeAll(async () => {
      bodies = await listen("127.0.0.1", (url, res) => {
        if (url === "/small")
          res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end('{"a":1}');
        else if (url === "/big") {
          res.writeHead(200, { "content-type": "application/problem+json" });
          // In pieces, so the read-ahead stops part-way and the rest must stream on intact.
          for (let i = 0; i < big.length; i += 50_000) res.write(big.slice(i, i + 50_000));
          res.end();
        } else if (url === "/stalls") {
          // A hostile or broken upstream: a JSON answer that never finishes.
          res.writeHead(200, { "content-type": "application/json" });
          res.write(`{"data":"${"y".repeat(100_000)}`);
        } else if (url === "/json-to-metadata") {
          res.writeHead(302, {
            location: "http://169.254.169.254/latest/meta-data/",
            "content-type": "application/json",
          });
          res.end('{"moved":true}');
        } else {
          // A stream never ends while the client waits: it must not be read ahead.
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write("data: first\n\n");
        }
      });
    });
    afterAll(() => {
      bodies.server.closeAllConnections();
      bodies.server.close();
    });
    const f = createGuardedFetch({
      allowlist: ["127.0.0.1"],
      resolve: async () => [],
      bufferJsonBytes: 64 * 1024,
    });

    it("hands over a small JSON body whole, and a larger one complete past the read-ahead limit", async () => {
      expect(await (await f(`http://127.0.0.1:${bodies.port}/small`)).json()).toEqual({ a: 1 });
      const res = await f(`http://127.0.0.1:${bodies.port}/big`);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(await res.text()).toBe(big);
    });

    it("an endless JSON answer costs at most the read-ahead limit: the fetch resolves, the body streams", async () => {
      const controller = new AbortController();
      const res = await f(`http://127.0.0.1:${bodies.port}/stalls`, { signal: controller.signal });
      const reader = res.body!.getReader();
      let got = 0;
      while (got < 64 * 1024) got += (await reader.read()).value!.length;
      // Resolved with the body still open (reading it whole would have waited forever).
      const next = await Promise.race([
        reader.read(),
        new Promise((r) => setTimeout(() => r("pending"), 50)),
      ]);
      expect(next).toBe("pending");
      controller.abort();
    });

    it("a JSON redirect is still re-checked: no read-ahead path around the guard", async () => {
      await expect(f(`http://127.0.0.1:${bodies.port}/json-to-metadata`)).rejects.toBeInstanceOf(
        OutboundBlockedError,
      );
    });

    it("streams an event stream as it comes", async () => {
      const controller = new AbortController();
      const res = await f(`http://127.0.0.1:${bodies.port}/events`, { signal: controller.signal });
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: first\n\n");
      controller.abort();
    });
  });
});
