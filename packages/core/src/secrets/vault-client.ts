import { readFile } from "node:fs/promises";
import { AppError } from "../errors/app-error.ts";

export type VaultAuth =
  { token: string } | { appRole: { roleIdFile: string; secretIdFile: string; mount?: string } };

export interface VaultClientOptions {
  address: string;
  namespace?: string | undefined;
  auth: VaultAuth;
  /** The guarded fetch from core/net, with the Vault host allowlisted. */
  fetch: typeof fetch;
  now?: () => number;
}

/** Vault said no: the message names the path and the likely cause, never a token. */
export class VaultError extends AppError {
  readonly httpStatus: number;
  constructor(httpStatus: number, message: string) {
    super(httpStatus === 404 ? "not_found" : httpStatus === 403 ? "forbidden" : "internal_error", message);
    this.httpStatus = httpStatus;
  }
}

/**
 * Minimal HashiCorp Vault client: token or AppRole login (role_id / secret_id read from files, as
 * Vault Agent or a K8s secret would provide them), token lookup and renewal before expiry, the
 * namespace header, and KV v2 reads with versions.
 */
export class VaultClient {
  private readonly opts: VaultClientOptions;
  private token: string | undefined;
  /** When the token should be renewed (ms epoch); Infinity for non-expiring tokens. */
  private renewAt = 0;
  private renewable = false;

  constructor(opts: VaultClientOptions) {
    this.opts = opts;
    if ("token" in opts.auth) this.token = opts.auth.token;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    authenticated = true,
  ): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (authenticated && this.token) headers["x-vault-token"] = this.token;
    if (this.opts.namespace) headers["x-vault-namespace"] = this.opts.namespace;
    const res = await this.opts.fetch(`${this.opts.address.replace(/\/$/, "")}/v1/${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      redirect: "error",
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status === 404) throw new VaultError(404, `Vault has no secret at ${path}`);
    if (res.status === 403)
      throw new VaultError(403, `Vault denied access to ${path}: check this role's policy`);
    if (!res.ok) throw new VaultError(res.status, `Vault answered ${res.status} for ${path}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  private applyAuth(
    auth: { client_token?: string; lease_duration?: number; renewable?: boolean } | undefined,
  ): void {
    if (auth?.client_token) this.token = auth.client_token;
    const ttl = auth?.lease_duration ?? 0;
    this.renewable = auth?.renewable ?? false;
    // Renew once two thirds of the lease have passed.
    this.renewAt = ttl > 0 ? this.now() + (ttl * 1000 * 2) / 3 : Number.POSITIVE_INFINITY;
  }

  private async login(): Promise<void> {
    if ("token" in this.opts.auth) {
      const info = (await this.call("GET", "auth/token/lookup-self")).data as {
        ttl?: number;
        renewable?: boolean;
      };
      this.applyAuth({ lease_duration: info.ttl ?? 0, renewable: info.renewable ?? false });
      return;
    }
    const { roleIdFile, secretIdFile, mount = "approle" } = this.opts.auth.appRole;
    const [roleId, secretId] = await Promise.all([
      readFile(roleIdFile, "utf8"),
      readFile(secretIdFile, "utf8"),
    ]);
    const res = await this.call(
      "POST",
      `auth/${mount}/login`,
      { role_id: roleId.trim(), secret_id: secretId.trim() },
      false,
    );
    this.applyAuth(res.auth as { client_token: string; lease_duration: number; renewable: boolean });
  }

  /** Makes sure a usable token is held: logs in, or renews a token close to expiry. */
  async ensureToken(): Promise<void> {
    if (this.renewAt === 0) return this.login();
    if (this.now() < this.renewAt) return;
    if (this.renewable) {
      try {
        this.applyAuth(
          (await this.call("POST", "auth/token/renew-self", {})).auth as {
            lease_duration: number;
            renewable: boolean;
          },
        );
        return;
      } catch {
        // Fall through to a fresh login (AppRole) — a static token that cannot renew is an error.
      }
    }
    if ("token" in this.opts.auth) throw new VaultError(403, "the Vault token expired and cannot be renewed");
    await this.login();
  }

  /** Reads a KV v2 secret: `mount` (e.g. `secret`), `path` (e.g. `enclave/openai`), optional version. */
  async readKv(
    mount: string,
    path: string,
    version?: number,
  ): Promise<{ data: Record<string, unknown>; version: number }> {
    await this.ensureToken();
    const res = await this.call("GET", `${mount}/data/${path}${version ? `?version=${version}` : ""}`);
    const data = res.data as { data?: Record<string, unknown>; metadata?: { version?: number } } | undefined;
    if (!data?.data) throw new VaultError(404, `Vault has no data at ${mount}/data/${path}`);
    return { data: data.data, version: data.metadata?.version ?? 0 };
  }

  /** Transit `encrypt`: base64 plaintext (and associated data, bound by the AEAD) → `vault:vN:…`. */
  async transitEncrypt(
    mount: string,
    key: string,
    plaintextB64: string,
    associatedDataB64: string,
  ): Promise<string> {
    await this.ensureToken();
    const res = await this.call("POST", `${mount}/encrypt/${key}`, {
      plaintext: plaintextB64,
      associated_data: associatedDataB64,
    });
    const ciphertext = (res.data as { ciphertext?: unknown } | undefined)?.ciphertext;
    if (typeof ciphertext !== "string")
      throw new VaultError(502, `Vault returned no ciphertext for ${mount}/encrypt/${key}`);
    return ciphertext;
  }

  /** Transit `decrypt`: the inverse of transitEncrypt; fails unless the associated data matches. */
  async transitDecrypt(
    mount: string,
    key: string,
    ciphertext: string,
    associatedDataB64: string,
  ): Promise<string> {
    await this.ensureToken();
    const res = await this.call("POST", `${mount}/decrypt/${key}`, {
      ciphertext,
      associated_data: associatedDataB64,
    });
    const plaintext = (res.data as { plaintext?: unknown } | undefined)?.plaintext;
    if (typeof plaintext !== "string")
      throw new VaultError(502, `Vault returned no plaintext for ${mount}/decrypt/${key}`);
    return plaintext;
  }

  /** The newest version of a Transit key (ciphertexts of older versions are due for rewrapping). */
  async transitLatestVersion(mount: string, key: string): Promise<number> {
    await this.ensureToken();
    const res = await this.call("GET", `${mount}/keys/${key}`);
    const latest = (res.data as { latest_version?: unknown } | undefined)?.latest_version;
    if (typeof latest !== "number")
      throw new VaultError(502, `Vault returned no key version for ${mount}/keys/${key}`);
    return latest;
  }

  /** Transit `sign` with a pinned key version: the raw signature bytes. */
  async transitSign(mount: string, key: string, inputB64: string, keyVersion: number): Promise<Buffer> {
    await this.ensureToken();
    const res = await this.call("POST", `${mount}/sign/${key}`, { input: inputB64, key_version: keyVersion });
    const signature = (res.data as { signature?: unknown } | undefined)?.signature;
    const m = typeof signature === "string" ? /^vault:v\d+:(.+)$/.exec(signature) : null;
    if (!m) throw new VaultError(502, `Vault returned no signature for ${mount}/sign/${key}`);
    return Buffer.from(m[1]!, "base64");
  }

  /** A Transit signing key's newest version and that version's public key (base64). */
  async transitPublicKey(mount: string, key: string): Promise<{ version: number; publicKey: string }> {
    await this.ensureToken();
    const res = await this.call("GET", `${mount}/keys/${key}`);
    const data = res.data as
      { latest_version?: number; keys?: Record<string, { public_key?: string }> } | undefined;
    const version = data?.latest_version;
    const publicKey = version ? data?.keys?.[String(version)]?.public_key : undefined;
    if (!version || !publicKey) throw new VaultError(502, `${mount}/keys/${key} is not a signing key`);
    return { version, publicKey };
  }
}
