import { createHash, hash } from "node:crypto";

// RFC 6962 §2.1 Merkle Tree Hash: leaves are SHA-256(0x00 || data), interior nodes
// SHA-256(0x01 || left || right). Domain separation stops a leaf posing as a node.

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

// One-shot crypto.hash is ~3x faster than a Hash object for inputs this small, and verification
// hashes every event: it is the hot path of `audit verify`.
export function leafHash(data: Buffer | string): Buffer {
  return hash(
    "sha256",
    Buffer.concat([LEAF, typeof data === "string" ? Buffer.from(data, "utf8") : data]),
    "buffer",
  );
}

/** leafHash of a string, as hex: "\0" encodes to the single 0x00 byte in UTF-8. */
export function leafHashHex(data: string): string {
  return hash("sha256", `\0${data}`, "hex");
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash("sha256", Buffer.concat([NODE, left, right], 65), "buffer");
}

export const EMPTY_TREE_ROOT = createHash("sha256").digest();

/** Reference MTH over a list of leaf hashes (recursive; for tests and small inputs). */
export function merkleRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_TREE_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/**
 * A compact range over [0, size): the roots of the perfect subtrees that make up the tree, largest
 * first. Appending is O(log n) and the root needs no re-reading of old leaves, so checkpoints
 * can be computed incrementally from the last one.
 */
export class MerkleFrontier {
  size = 0;
  private readonly nodes: { height: number; hash: Buffer }[] = [];

  static from(size: number, hashes: Buffer[]): MerkleFrontier {
    const f = new MerkleFrontier();
    let remaining = size;
    const heights: number[] = [];
    for (let h = 52; h >= 0; h--) {
      if (remaining >= 2 ** h) {
        heights.push(h);
        remaining -= 2 ** h;
      }
    }
    if (heights.length !== hashes.length) throw new Error("frontier does not match its size");
    heights.forEach((height, i) => f.nodes.push({ height, hash: hashes[i]! }));
    f.size = size;
    return f;
  }

  append(leaf: Buffer): void {
    this.nodes.push({ height: 0, hash: leaf });
    this.size++;
    while (this.nodes.length >= 2) {
      const right = this.nodes[this.nodes.length - 1]!;
      const left = this.nodes[this.nodes.length - 2]!;
      if (left.height !== right.height) break;
      this.nodes.splice(-2, 2, { height: left.height + 1, hash: nodeHash(left.hash, right.hash) });
    }
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_TREE_ROOT;
    let hash = this.nodes[this.nodes.length - 1]!.hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) hash = nodeHash(this.nodes[i]!.hash, hash);
    return hash;
  }

  /** The subtree roots, for storing beside a checkpoint. */
  hashes(): Buffer[] {
    return this.nodes.map((n) => n.hash);
  }
}
