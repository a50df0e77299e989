// A stand-in for HashiCorp Vault, written from its published HTTP API (no Vault binary is
// available here): AppRole login, token lookup/renew-self, KV v2 reads with versions, policies
// as allowed path prefixes, the namespace header, and Transit encrypt/decrypt with associated data.
import {
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Token {
  policies: string[];
  expiresAt: number;
  renewable: boolean;
}

export class VaultStub {
  readonly tokens = new Map<string, Token>();
  readonly kv = new Map<string, Record<string, unknown>[]>(); // "mount/path" → versions (1-based)
  readonly transitKeys = new Map<string, Buffer[]>(); // "mount/name" → key versions (1-based)
  transitCalls = 0;
  readonly signingKeys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }[]>();
  roleId = "role-123";
  secretId = "secret-456";
  namespace: string | undefined;
  leaseSeconds = 3600;
  renewals = 0;
  logins = 0;
  renewAllowed = true;
  now: () => number = () => Date.now();
  private server: Server | undefined;
  url = "";

  put(mountPath: string, data: Record<string, unknown>): void {
    const versions = this.kv.get(mountPath) ?? [];
    versions.push(data);
    this.kv.set(mountPath, versions);
  }

  /** Creates a Transit key, or adds a new version to it (Vault's `keys/<name>/rotate`). */
  rotateTransitKey(mountName: string): void {
    const versions = this.transitKeys.get(mountName) ?? [];
    versions.push(randomBytes(32));
    this.transitKeys.set(mountName, versions);
  }

  /** Creates an ed25519 Transit key, or adds a new version to it. */
  rotateSigningKey(mountName: string): void {
    const versions = this.signingKeys.get(mountName) ?? [];
    versions.push(generateKeyPairSync("ed25519"));
    this.signingKeys.set(mountName, versions);
  }

  private signing(method: string, op: string, mountName: string, raw: string): [number, unknown] {
    const versions = this.signingKeys.get(mountName)!;
    if (method === "GET" && op === "keys") {
      const keys = Object.fromEntries(
        versions.map((k, i) => [
          String(i + 1),
          {
            public_key: k.publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64"),
          },
        ]),
      );
      return [200, { data: { type: "ed25519", latest_version: versions.length, keys } }];
    }
    if (method !== "POST" || op !== "sign") return [400, { errors: ["unsupported operation"] }];
    const body = JSON.parse(raw || "{}") as { input?: string; key_version?: number };
    const v = body.key_version ?? versions.length;
    const key = versions[v - 1];
    if (!key) return [400, { errors: ["invalid key version"] }];
    this.transitCalls++;
    const signature = sign(null, Buffer.from(body.input ?? "", "base64"), key.privateKey).toString("base64");
    return [200, { data: { signature: `vault:v${v}:${signature}`, key_version: v } }];
  }

  private transit(
    op: string,
    mountName: string,
    body: { plaintext?: string; ciphertext?: string; associated_data?: string },
  ): [number, unknown] {
    const versions = this.transitKeys.get(mountName);
    if (!versions) return [400, { errors: ["encryption key not found"] }];
    this.transitCalls++;
    const ad = Buffer.from(body.associated_data ?? "", "base64");
    if (op === "encrypt") {
      const v = versions.length;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", versions[v - 1]!, iv).setAAD(ad);
      const ct = Buffer.concat([cipher.update(Buffer.from(body.plaintext ?? "", "base64")), cipher.final()]);
      const blob = Buffer.concat([iv, ct, cipher.getAuthTag()]).toString("base64");
      return [200, { data: { ciphertext: `vault:v${v}:${blob}`, key_version: v } }];
    }
    const m = /^vault:v(\d+):(.+)$/.exec(body.ciphertext ?? "");
    const key = m ? versions[Number(m[1]) - 1] : undefined;
    if (!m || !key) return [400, { errors: ["invalid ciphertext"] }];
    try {
      const blob = Buffer.from(m[2]!, "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, blob.subarray(0, 12)).setAAD(ad);
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      const pt = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
      return [200, { data: { plaintext: pt.toString("base64") } }];
    } catch {
      return [400, { errors: ["cipher: message authentication failed"] }];
    }
  }

  issueToken(policies: string[], renewable = true): string {
    const token = `hvs.${randomBytes(12).toString("hex")}`;
    this.tokens.set(token, { policies, expiresAt: this.now() + this.leaseSeconds * 1000, renewable });
    return token;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const send = (status: number, body: unknown) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
        if (this.namespace && req.headers["x-vault-namespace"] !== this.namespace)
          return send(403, { errors: ["permission denied"] });
        const url = new URL(req.url ?? "/", "http://vault");
        const path = url.pathname.replace(/^\/v1\//, "");
        if (req.method === "POST" && path === "auth/approle/login") {
          const body = JSON.parse(raw || "{}") as { role_id?: string; secret_id?: string };
          if (body.role_id !== this.roleId || body.secret_id !== this.secretId)
            return send(400, { errors: ["invalid role or secret ID"] });
          this.logins++;
          const token = this.issueToken(["secret/data/enclave/"]);
          return send(200, {
            auth: {
              client_token: token,
              lease_duration: this.leaseSeconds,
              renewable: true,
              policies: ["enclave"],
            },
          });
        }
        const tokenId = String(req.headers["x-vault-token"] ?? "");
        const token = this.tokens.get(tokenId);
        if (!token || token.expiresAt <= this.now()) return send(403, { errors: ["permission denied"] });
        if (req.method === "GET" && path === "auth/token/lookup-self") {
          return send(200, {
            data: { ttl: Math.floor((token.expiresAt - this.now()) / 1000), renewable: token.renewable },
          });
        }
        if (req.method === "POST" && path === "auth/token/renew-self") {
          if (!this.renewAllowed || !token.renewable) return send(403, { errors: ["permission denied"] });
          this.renewals++;
          token.expiresAt = this.now() + this.leaseSeconds * 1000;
          return send(200, {
            auth: { client_token: tokenId, lease_duration: this.leaseSeconds, renewable: true },
          });
        }
        const t = /^([^/]+)\/(encrypt|decrypt|keys|sign)\/([^/]+)$/.exec(path);
        if (t) {
          if (!token.policies.some((p) => path.startsWith(p)))
            return send(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] });
          const name = `${t[1]}/${t[3]}`;
          if (this.signingKeys.has(name)) return send(...this.signing(req.method ?? "GET", t[2]!, name, raw));
          if (req.method === "GET" && t[2] === "keys") {
            const versions = this.transitKeys.get(name);
            return versions
              ? send(200, { data: { name: t[3], type: "aes256-gcm96", latest_version: versions.length } })
              : send(404, { errors: [] });
          }
          if (req.method === "POST" && t[2] !== "keys") {
            const [status, out] = this.transit(
              t[2]!,
              name,
              JSON.parse(raw || "{}") as Record<string, string>,
            );
            return send(status, out);
          }
        }
        const m = /^([^/]+)\/data\/(.+)$/.exec(path);
        if (req.method === "GET" && m) {
          if (!token.policies.some((p) => path.startsWith(p)))
            return send(403, { errors: ["1 error occurred:\n\t* permission denied\n\n"] });
          const versions = this.kv.get(`${m[1]}/${m[2]}`);
          if (!versions) return send(404, { errors: [] });
          const v = Number(url.searchParams.get("version") ?? versions.length);
          const data = versions[v - 1];
          if (!data) return send(404, { errors: [] });
          return send(200, { data: { data, metadata: { version: v } } });
        }
        send(404, { errors: [] });
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
    this.server?.closeAllConnections();
  }

  port(): number {
    return Number(new URL(this.url).port);
  }
}
