import type { VaultClient } from "../secrets/vault-client.ts";
import type { KeyEncryptionKey } from "./kek.ts";

const VERSION = /^vault:v(\d+):/;

/**
 * A KEK that never leaves HashiCorp Vault: data keys are wrapped and unwrapped by Transit
 * `encrypt`/`decrypt`, with the workspace id as AEAD associated data, so a wrapped key copied to
 * another workspace's row does not unwrap. Rotating the key inside Vault is picked up by
 * `enclave keys rotate`, which rewraps data keys still under an older key version.
 */
export class VaultTransitKek implements KeyEncryptionKey {
  readonly id: string;
  private readonly vault: VaultClient;
  private readonly mount: string;
  private readonly key: string;

  constructor(vault: VaultClient, mount: string, key: string) {
    this.vault = vault;
    this.mount = mount;
    this.key = key;
    this.id = `vault-transit:${mount}/${key}`;
  }

  async wrap(dataKey: Buffer, aad: string): Promise<string> {
    return this.vault.transitEncrypt(this.mount, this.key, dataKey.toString("base64"), associated(aad));
  }

  async unwrap(wrapped: string, aad: string): Promise<Buffer> {
    const plaintext = await this.vault.transitDecrypt(this.mount, this.key, wrapped, associated(aad));
    return Buffer.from(plaintext, "base64");
  }

  /** True when `wrapped` was made by an older version of the Transit key than the newest. */
  async needsRewrap(wrapped: string): Promise<boolean> {
    const version = Number(VERSION.exec(wrapped)?.[1] ?? 0);
    return version < (await this.vault.transitLatestVersion(this.mount, this.key));
  }
}

function associated(aad: string): string {
  return Buffer.from(`kek:${aad}`).toString("base64");
}
