import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/**
 * C2SP signed notes (https://c2sp.org/signed-note) carrying tlog checkpoints
 * (https://c2sp.org/tlog-checkpoint): "<origin>\n<size>\n<base64 root>\n", then a blank line and
 * one "— <name> <base64(key hash || Ed25519 signature)>" line per signature.
 */
export interface NoteSigner {
  name: string;
  publicKey: KeyObject;
  /** 4-byte key hash: SHA-256(name || "\n" || 0x01 || 32-byte public key)[:4]. */
  keyHash: Buffer;
  /** Ed25519 signature of `message`: computed here, or by Vault Transit (the key never leaves it). */
  sign(message: Buffer): Promise<Buffer>;
}

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(ED25519_SPKI_PREFIX.length);
}

/** A public key object from the 32 raw bytes of an Ed25519 key. */
export function ed25519PublicKey(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

export function keyHashOf(name: string, publicKey: KeyObject): Buffer {
  return createHash("sha256")
    .update(Buffer.from(`${name}\n`, "utf8"))
    .update(Buffer.from([0x01]))
    .update(rawPublicKey(publicKey))
    .digest()
    .subarray(0, 4);
}

/** An Ed25519 note signer from a 32-byte seed (e.g. derived from the secret provider's key). */
export function noteSignerFromSeed(name: string, seed: Buffer): NoteSigner {
  if (seed.length !== 32) throw new Error("Ed25519 seed must be 32 bytes");
  if (/[\s+]/.test(name)) throw new Error("key name must not contain spaces or '+'");
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey(privateKey);
  return {
    name,
    publicKey,
    keyHash: keyHashOf(name, publicKey),
    sign: async (message) => sign(null, message, privateKey),
  };
}

/** The verifier key in the note ecosystem's text form: `<name>+<hex key hash>+<base64(0x01 || pubkey)>`. */
export function verifierKey(signer: NoteSigner): string {
  const body = Buffer.concat([Buffer.from([0x01]), rawPublicKey(signer.publicKey)]).toString("base64");
  return `${signer.name}+${signer.keyHash.toString("hex")}+${body}`;
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
}

export function checkpointBody(cp: Checkpoint): string {
  return `${cp.origin}\n${cp.size}\n${cp.rootHash.toString("base64")}\n`;
}

export async function signCheckpoint(cp: Checkpoint, signer: NoteSigner): Promise<string> {
  const body = checkpointBody(cp);
  const signature = await signer.sign(Buffer.from(body, "utf8"));
  if (!verify(null, Buffer.from(body, "utf8"), signer.publicKey, signature))
    throw new Error(`checkpoint signature by ${signer.name} does not verify with its public key`);
  return `${body}\n\u2014 ${signer.name} ${Buffer.concat([signer.keyHash, signature]).toString("base64")}\n`;
}

/** Parses and verifies a signed checkpoint note; null when malformed or not signed by `signer`. */
export function openCheckpoint(note: string, verifierPublicKey: KeyObject, name: string): Checkpoint | null {
  const split = note.indexOf("\n\n");
  if (split < 0) return null;
  const body = note.slice(0, split + 1);
  const lines = body.split("\n");
  if (lines.length !== 4 || !/^\d+$/.test(lines[1]!)) return null;
  const expectedHash = keyHashOf(name, verifierPublicKey);
  for (const line of note.slice(split + 2).split("\n")) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const raw = Buffer.from(m[2]!, "base64");
    if (raw.length !== 68 || !raw.subarray(0, 4).equals(expectedHash)) continue;
    if (verify(null, Buffer.from(body, "utf8"), verifierPublicKey, raw.subarray(4))) {
      const rootHash = Buffer.from(lines[2]!, "base64");
      if (rootHash.length !== 32) return null;
      return { origin: lines[0]!, size: Number(lines[1]), rootHash };
    }
  }
  return null;
}
