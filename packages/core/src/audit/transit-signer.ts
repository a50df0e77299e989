import type { VaultClient } from "../secrets/vault-client.ts";
import { ed25519PublicKey, keyHashOf, type NoteSigner } from "./signed-note.ts";

/**
 * Checkpoint signer backed by a Vault Transit `ed25519` key: Enclave holds only the public key.
 * The key version is pinned when the signer is opened, so a key rotated inside Vault takes effect
 * at the next restart, and the published verifier key stays valid until then.
 */
export async function openTransitNoteSigner(
  vault: VaultClient,
  mount: string,
  key: string,
  name: string,
): Promise<NoteSigner> {
  const { version, publicKey: b64 } = await vault.transitPublicKey(mount, key);
  const publicKey = ed25519PublicKey(Buffer.from(b64, "base64"));
  return {
    name,
    publicKey,
    keyHash: keyHashOf(name, publicKey),
    sign: (message) => vault.transitSign(mount, key, message.toString("base64"), version),
  };
}
