import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AppError } from "../errors/app-error.ts";

export interface AwsSecretsOptions {
  region: string;
  /** Override for VPC endpoints or tests; the SDK's default credential chain applies otherwise. */
  endpoint?: string | undefined;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * AWS Secrets Manager: `aws-sm:<secret id or ARN>#<json key>` reads one key of a SecretString
 * holding JSON; without `#key` the whole SecretString is the value.
 */
export class AwsSecretsManager {
  private readonly client: SecretsManagerClient;

  constructor(opts: AwsSecretsOptions) {
    this.client = new SecretsManagerClient({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      maxAttempts: 2,
    });
  }

  async read(secretId: string, key: string | undefined): Promise<string> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (err) {
      const name = (err as { name?: string }).name ?? "Error";
      if (name === "ResourceNotFoundException")
        throw new AppError("not_found", `AWS Secrets Manager has no secret ${secretId}`);
      if (name === "AccessDeniedException") {
        throw new AppError(
          "forbidden",
          `AWS Secrets Manager denied access to ${secretId}: check the IAM policy`,
        );
      }
      throw new AppError("internal_error", `AWS Secrets Manager failed for ${secretId} (${name})`);
    }
    if (out.SecretString === undefined)
      throw new AppError("not_found", `secret ${secretId} has no SecretString`);
    if (key === undefined) return out.SecretString;
    let parsed: unknown;
    try {
      parsed = JSON.parse(out.SecretString);
    } catch {
      throw new AppError(
        "validation_failed",
        `secret ${secretId} is not JSON, so #${key} cannot be selected`,
      );
    }
    const value = (parsed as Record<string, unknown>)[key];
    if (typeof value !== "string")
      throw new AppError("not_found", `secret ${secretId} has no string key ${key}`);
    return value;
  }
}
