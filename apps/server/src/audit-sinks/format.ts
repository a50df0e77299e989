import { hostname } from "node:os";
import { toEcs, type ShipItem } from "@enclave/core";

/** One shipped item as a JSON document: ECS for events, a state record for checkpoints. */
export function shipDocument(item: ShipItem): Record<string, unknown> {
  if (item.type === "event") return toEcs(item.row);
  return {
    "@timestamp": item.createdAt.toISOString(),
    event: { kind: "state", action: "audit.checkpoint", id: `checkpoint-${item.size}` },
    service: { name: "enclave" },
    enclave: { checkpoint: { size: item.size, root_hash: item.rootHash, note: item.note } },
  };
}

// RFC 5424: facility 13 is "log audit"; 32473 is the private enterprise number reserved for examples.
const FACILITY = 13;
const SD_ID = "enclave@32473";
const HOST =
  hostname()
    .replace(/[^\x21-\x7e]/g, "")
    .slice(0, 255) || "-";

function sdValue(v: string): string {
  return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** An RFC 5424 message with octet-counting framing (RFC 6587 §3.4.1), ready for a TCP/TLS stream. */
export function syslogFrame(item: ShipItem): Buffer {
  const failure = item.type === "event" && item.row.outcome !== "success";
  const pri = FACILITY * 8 + (failure ? 4 : 6);
  const timestamp = item.type === "event" ? item.row.createdAt.toISOString() : item.createdAt.toISOString();
  const msgId = (item.type === "event" ? item.row.action : "audit.checkpoint")
    .replace(/[^\x21-\x7e]/g, "_")
    .slice(0, 32);
  const sd =
    item.type === "event"
      ? `[${SD_ID} seq="${item.row.seq}" id="${sdValue(item.row.id)}"]`
      : `[${SD_ID} checkpoint="${item.size}"]`;
  const message = `<${pri}>1 ${timestamp} ${HOST} enclave ${process.pid} ${msgId} ${sd} ${JSON.stringify(shipDocument(item))}`;
  const bytes = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${bytes.length} `, "ascii"), bytes]);
}
