import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.ts";
import { EMPTY_TREE_ROOT, HexFrontier, leafHash, merkleRoot, MerkleFrontier, nodeHash } from "./merkle.ts";
import {
  checkpointBody,
  noteSignerFromSeed,
  openCheckpoint,
  signCheckpoint,
  verifierKey,
} from "./signed-note.ts";

describe("canonical JSON (RFC 8785)", () => {
  it("sorts keys by UTF-16 code units and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], "\u20ac": 1, "\r": 2, "1": 3 })).toBe(
      '{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"€":1}',
    );
  });
  it("serialises numbers the ECMAScript way", () => {
    expect(canonicalJson([1.0, 1e21, 1e-7, -0, 0.1 + 0.2])).toBe("[1,1e+21,1e-7,0,0.30000000000000004]");
  });
  it("is independent of key insertion order", () => {
    expect(canonicalJson({ x: { z: 1, y: 2 }, w: 0 })).toBe(canonicalJson({ w: 0, x: { y: 2, z: 1 } }));
  });
  it("refuses values JSON cannot carry", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow();
    expect(() => canonicalJson({ f: () => 1 })).toThrow();
  });
});

describe("RFC 6962 Merkle tree", () => {
  it("hashes the empty tree, a leaf and a node with domain separation", () => {
    expect(EMPTY_TREE_ROOT.toString("hex")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(leafHash("").toString("hex")).toBe(
      createHash("sha256")
        .update(Buffer.from([0]))
        .digest("hex"),
    );
    const a = leafHash("a");
    const b = leafHash("b");
    expect(merkleRoot([a, b])).toEqual(nodeHash(a, b));
    expect(merkleRoot([a, b, a])).toEqual(nodeHash(nodeHash(a, b), a));
  });

  it("the incremental frontier agrees with the reference root for every size up to 70", () => {
    const leaves = Array.from({ length: 70 }, (_, i) => leafHash(`event ${i}`));
    const frontier = new MerkleFrontier();
    const hex = new HexFrontier();
    for (let n = 1; n <= leaves.length; n++) {
      frontier.append(leaves[n - 1]!);
      hex.append(leaves[n - 1]!.toString("hex"));
      expect(frontier.root()).toEqual(merkleRoot(leaves.slice(0, n)));
      expect(hex.hashes()).toEqual(frontier.hashes());
      const restored = MerkleFrontier.from(frontier.size, frontier.hashes());
      expect(restored.root()).toEqual(frontier.root());
    }
  });
});

describe("signed checkpoint notes", () => {
  const signer = noteSignerFromSeed("enclave.test/audit", randomBytes(32));
  const cp = { origin: "enclave.test/audit", size: 42, rootHash: leafHash("root") };

  it("sign and open round-trip", async () => {
    const note = await signCheckpoint(cp, signer);
    expect(note.startsWith(checkpointBody(cp))).toBe(true);
    expect(note).toMatch(/\n\n\u2014 enclave\.test\/audit [A-Za-z0-9+/]+=*\n$/);
    expect(openCheckpoint(note, signer.publicKey, signer.name)).toEqual(cp);
    expect(verifierKey(signer)).toMatch(/^enclave\.test\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
  });

  it("reject a changed size or root, another key, and a malformed note", async () => {
    const note = await signCheckpoint(cp, signer);
    expect(openCheckpoint(note.replace("\n42\n", "\n41\n"), signer.publicKey, signer.name)).toBeNull();
    const other = noteSignerFromSeed("enclave.test/audit", randomBytes(32));
    expect(openCheckpoint(note, other.publicKey, other.name)).toBeNull();
    expect(openCheckpoint("garbage", signer.publicKey, signer.name)).toBeNull();
  });
});

describe("audit record canonical form", () => {
  it("the fast serializer equals RFC 8785 of the generic record, including nulls and unicode", async () => {
    const { canonicalRecord, hashedRecord } = await import("./chain.ts");
    const rows = [
      {
        details: {},
        ip: null,
        userAgent: null,
        actorId: null,
        workspaceId: null,
        targetType: null,
        targetId: null,
        requestId: null,
      },
      {
        details: { z: [1, "二", { b: null, a: true }], "€": 0.5 },
        ip: "::1",
        userAgent: 'ua "quoted"\n',
        actorId: "a",
        workspaceId: "w",
        targetType: "t",
        targetId: "i",
        requestId: "r",
      },
    ].map((extra, seq) => ({
      id: `0190a000-0000-7000-8000-00000000000${seq}`,
      seq,
      createdAt: new Date(1_700_000_000_123 + seq),
      actorType: "user" as const,
      action: "x.y",
      outcome: "success" as const,
      prevHash: "0".repeat(64),
      ...extra,
    }));
    for (const row of rows) expect(canonicalRecord(row)).toBe(canonicalJson(hashedRecord(row)));
    // Verification's column path builds the same string from the text columns it reads.
    const { canonicalColumns } = await import("./verify-range.ts");
    for (const row of rows) {
      const createdAt = row.createdAt.toISOString();
      const columns = [
        String(row.seq),
        row.id,
        createdAt,
        row.workspaceId,
        row.actorType,
        row.actorId,
        row.ip,
        row.userAgent,
        row.action,
        row.targetType,
        row.targetId,
        row.outcome,
        row.requestId,
        // jsonb's own text form: spaces, and keys by length first — not canonical.
        JSON.stringify(row.details, null, 1),
        row.prevHash,
        "f".repeat(64),
      ];
      expect(canonicalColumns(columns)).toBe(canonicalJson(hashedRecord(row)));
    }
  });
});
