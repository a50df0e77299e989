// Reads a Dify-style server-sent event stream (`data: {json}\n\n` frames, `event: ping` keep-alives)
// from a fetch Response, yielding each JSON event as it arrives.

export interface StreamEvent {
  event: string;
  [field: string]: unknown;
}

/** Yields the JSON events of an SSE body in order; comments, pings and blank frames are skipped. */
export async function* readSse(res: Response, signal?: AbortSignal): AsyncGenerator<StreamEvent> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        const event = parseFrame(frame);
        if (event) yield event;
      }
    }
    const last = parseFrame(buffer);
    if (last) yield last;
  } finally {
    reader.releaseLock();
  }
}

function parseFrame(frame: string): StreamEvent | null {
  const data = frame
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).replace(/^ /, ""))
    .join("\n");
  if (!data) return null;
  try {
    const parsed = JSON.parse(data) as unknown;
    if (parsed && typeof parsed === "object" && typeof (parsed as StreamEvent).event === "string")
      return parsed as StreamEvent;
  } catch {
    // A frame that is not JSON is not ours to interpret.
  }
  return null;
}
