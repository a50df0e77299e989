import { hash } from "node:crypto";
import { MerkleFrontier } from "./merkle.ts";

export interface HashedBatch {
  /** 32 bytes per position, in order. */
  leaves: Uint8Array<ArrayBuffer>;
  /** [tree size, root hex] for each requested size this batch reached. */
  roots: [number, string][];
}

/**
 * The hashing half of verification, kept free of I/O so it can run on a worker thread: the leaf
 * hash of each canonical record (null for a missing event: an all-zero leaf, so later roots fail)
 * and the RFC 6962 roots at the requested tree sizes.
 */
export class LeafHasher {
  private readonly frontier = new MerkleFrontier();
  private readonly wanted: Set<number>;
  /** Past the largest wanted size the tree no longer matters; only leaves are needed. */
  private readonly lastWanted: number;
  private leaves = new Uint8Array(0);
  private count = 0;
  private roots: [number, string][] = [];

  constructor(rootSizes: number[]) {
    this.wanted = new Set(rootSizes);
    this.lastWanted = Math.max(0, ...rootSizes);
  }

  /** Starts a batch; `expected` sizes the leaf buffer (it grows if gaps add positions). */
  begin(expected: number): void {
    this.leaves = new Uint8Array(Math.max(1, expected) * 32);
    this.count = 0;
    this.roots = [];
  }

  /**
   * Hashes one record as soon as it is built, so its text dies young: holding a whole batch of
   * texts until hashing pushed them into the old generation and made garbage collection costly.
   */
  add(text: string | null): void {
    // "\0" encodes to the single 0x00 byte: leaf = SHA-256(0x00 || canonical JSON).
    const leaf = text === null ? ZERO : hash("sha256", `\0${text}`, "buffer");
    if ((this.count + 1) * 32 > this.leaves.length) {
      const grown = new Uint8Array(this.leaves.length * 2);
      grown.set(this.leaves);
      this.leaves = grown;
    }
    this.leaves.set(leaf, this.count * 32);
    this.count++;
    if (this.frontier.size < this.lastWanted) {
      this.frontier.append(leaf);
      if (this.wanted.has(this.frontier.size))
        this.roots.push([this.frontier.size, this.frontier.root().toString("hex")]);
    }
  }

  end(): HashedBatch {
    return { leaves: this.leaves.subarray(0, this.count * 32), roots: this.roots };
  }

  hashBatch(texts: (string | null)[]): HashedBatch {
    this.begin(texts.length);
    for (const t of texts) this.add(t);
    return this.end();
  }
}

/** Joins a batch for posting to a worker: one string copies far faster than thousands. */
export function packTexts(texts: (string | null)[]): { joined: string; lengths: Uint32Array<ArrayBuffer> } {
  const lengths = new Uint32Array(texts.length);
  texts.forEach((t, i) => {
    lengths[i] = t === null ? MISSING : t.length;
  });
  return { joined: texts.join(""), lengths };
}

export function unpackTexts(joined: string, lengths: Uint32Array): (string | null)[] {
  const texts: (string | null)[] = new Array<string | null>(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i]!;
    if (len === MISSING) texts[i] = null;
    else {
      texts[i] = joined.slice(at, at + len);
      at += len;
    }
  }
  return texts;
}

const ZERO = Buffer.alloc(32);
const MISSING = 0xffffffff;
