import { createHash, hash } from "node:crypto";

// RFC 6962 §2.1 Merkle Tree Hash: leaves are SHA-256(0x00 || data), interior nodes
// SHA-256(0x01 || left || right). Domain separation stops a leaf posing as a node.

const LEAF = Buffer.from([0]);

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

// One buffer for every interior node's input: hashing copies it, so reuse is safe (single thread).
const nodeInput = Buffer.alloc(65, 1);

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash("sha256", nodeInput, "buffer");
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
    return MerkleFrontier.rootOf(this.hashes());
  }

  /** The root of a tree given its frontier's subtree roots, largest first. */
  static rootOf(nodes: Buffer[]): Buffer {
    if (nodes.length === 0) return EMPTY_TREE_ROOT;
    let hash = nodes[nodes.length - 1]!;
    for (let i = nodes.length - 2; i >= 0; i--) hash = nodeHash(nodes[i]!, hash);
    return hash;
  }

  /** The subtree roots, for storing beside a checkpoint. */
  hashes(): Buffer[] {
    return this.nodes.map((n) => n.hash);
  }
}

export function nodeHashHex(left: string, right: string): string {
  nodeInput.write(left, 1, "hex");
  nodeInput.write(right, 33, "hex");
  return hash("sha256", nodeInput, "hex");
}

/**
 * MerkleFrontier over hex strings, for verification's loop (the leaves arrive as hex): no Buffer
 * per leaf or node. Appending merges one equal-height subtree per trailing one bit of the size.
 */
export class HexFrontier {
  size = 0;
  private readonly stack: string[] = [];

  append(leafHex: string): void {
    let hash = leafHex;
    for (let n = this.size; n % 2 === 1; n = (n - 1) / 2) hash = nodeHashHex(this.stack.pop()!, hash);
    this.stack.push(hash);
    this.size++;
  }

  hashes(): Buffer[] {
    return this.stack.map((h) => Buffer.from(h, "hex"));
  }
}
