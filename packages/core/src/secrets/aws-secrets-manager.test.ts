import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsSecretsManager } from "./aws-secrets-manager.ts";
import { SecretResolver } from "./resolver.ts";

/** A local stand-in for the Secrets Manager JSON API (X-Amz-Target: secretsmanager.GetSecretValue). */
describe("secrets from AWS Secrets Manager (against a local API stand-in)", () => {
  let server: Server;
  let endpoint: string;
  const secrets = new Map<string, string>([
    ["prod/enclave/openai", JSON.stringify({ api_key: "sk-aws-canary" })],
    ["prod/enclave/plain", "just-a-string"],
  ]);
  const targets: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        targets.push(String(req.headers["x-amz-target"]));
        const { SecretId } = JSON.parse(raw) as { SecretId: string };
        const send = (status: number, body: unknown, type?: string) =>
          res
            .writeHead(status, {
              "content-type": "application/x-amz-json-1.1",
              ...(type ? { "x-amzn-errortype": type } : {}),
            })
            .end(JSON.stringify(body));
        if (!String(req.headers.authorization).startsWith("AWS4-HMAC-SHA256"))
          return send(400, { __type: "InvalidSignatureException" }, "InvalidSignatureException");
        if (SecretId === "prod/other/db")
          return send(400, { __type: "AccessDeniedException", message: "denied" }, "AccessDeniedException");
        const value = secrets.get(SecretId);
        if (value === undefined)
          return send(
            400,
            { __type: "ResourceNotFoundException", message: "no" },
            "ResourceNotFoundException",
          );
        send(200, {
          ARN: `arn:aws:secretsmanager:eu-west-1:123:secret:${SecretId}`,
          Name: SecretId,
          SecretString: value,
          VersionId: "v1",
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  const resolver = () =>
    new SecretResolver({
      aws: new AwsSecretsManager({
        region: "eu-west-1",
        endpoint,
        credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test" },
      }),
    });

  it("reads a JSON key of a SecretString, or the whole string, with a signed request", async () => {
    const r = resolver();
    expect(await r.resolve("aws-sm:prod/enclave/openai#api_key")).toBe("sk-aws-canary");
    expect(await r.resolve("aws-sm:prod/enclave/plain")).toBe("just-a-string");
    expect(targets[0]).toBe("secretsmanager.GetSecretValue");
  });

  it("gives clear errors for a missing secret, a denied one and a missing key", async () => {
    const r = resolver();
    await expect(r.resolve("aws-sm:prod/enclave/none#k")).rejects.toThrow(
      "AWS Secrets Manager has no secret prod/enclave/none",
    );
    await expect(r.resolve("aws-sm:prod/other/db#password")).rejects.toThrow(
      /denied access to prod\/other\/db: check the IAM policy/,
    );
    await expect(r.resolve("aws-sm:prod/enclave/openai#nope")).rejects.toThrow(/has no string key nope/);
  });
});
