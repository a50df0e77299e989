import { randomBytes } from "node:crypto";
import { keyId } from "./keys.ts";
import { open, seal } from "./seal.ts";

/**
 * A key-encryption key: wraps and unwraps data keys, never leaves its provider. Implementations:
 * a local 256-bit key (key file or configured secret), and Vault Transit (vault-transit-kek.ts).
 */
export interface KeyEncryptionKey {
  /** Stable id of this KEK version, stored beside every data key it wraps. */
  readonly id: string;
  wrap(dataKey: Buffer, aad: string): Promise<string>;
  unwrap(wrapped: string, aad: string): Promise<Buffer>;
  /** For KEKs that rotate internally (Vault Transit): is this wrapped key under an old version? */
  needsRewrap?(wrapped: string): Promise<boolean>;
}

export class LocalKek implements KeyEncryptionKey {
  readonly id: string;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("a local KEK must be 32 bytes");
    this.key = key;
    this.id = `local:${keyId(key)}`;
  }

  async wrap(dataKey: Buffer, aad: string): Promise<string> {
    return seal(this.key, dataKey.toString("base64"), `kek:${aad}`);
  }

  async unwrap(wrapped: string, aad: string): Promise<Buffer> {
    return Buffer.from(open(this.key, wrapped, `kek:${aad}`), "base64");
  }
}

/** The KEK that wraps new data keys, plus older versions still able to unwrap (rotation). */
export interface KekRing {
  current: KeyEncryptionKey;
  previous: KeyEncryptionKey[];
}

export function kekFor(ring: KekRing, id: string): KeyEncryptionKey {
  const kek = [ring.current, ...ring.previous].find((k) => k.id === id);
  if (!kek) throw new Error(`no key-encryption key ${id} is configured`);
  return kek;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}
