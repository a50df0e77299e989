// The load generator in its own process: `node load.ts <json spec>` prints one JSON result.
// spec: { kind: "blocking" | "ttft", url, headers, body, connections, seconds }
import autocannon from "autocannon";

interface Spec {
  kind: "blocking" | "ttft";
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  seconds: number;
}

const spec = JSON.parse(process.argv[2]!) as Spec;

async function blocking() {
  const r = await autocannon({
    url: spec.url,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.seconds,
  });
  return {
    requests: r.requests.total,
    rps: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

/** Time to the first `data:` frame of a stream, `connections` workers in a loop. */
async function ttft() {
  const samples: number[] = [];
  const until = Date.now() + spec.seconds * 1000;
  let errors = 0;
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (Date.now() < until) {
        const started = performance.now();
        const res = await fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body });
        if (!res.ok || !res.body) {
          errors++;
          await res.body?.cancel();
          continue;
        }
        const reader = res.body.getReader();
        let first = true;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (first && new TextDecoder().decode(value).includes("data:")) {
            samples.push(performance.now() - started);
            first = false;
          }
        }
      }
    }),
  );
  samples.sort((a, b) => a - b);
  const q = (p: number) => Number((samples[Math.floor(p * (samples.length - 1))] ?? 0).toFixed(2));
  return {
    streams: samples.length,
    perSecond: Math.round(samples.length / spec.seconds),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    errors,
  };
}

process.stdout.write(`${JSON.stringify(spec.kind === "blocking" ? await blocking() : await ttft())}\n`);
