/**
 * Secrets at run time: a value comes either straight from the environment (local runs, tests) or,
 * in AWS, from Secrets Manager by ARN — the ARN is the only thing a Lambda closure or an ECS task
 * definition carries. Values are read once per process (cold start) and registered for redaction.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError, DroxError } from "../contract/errors";
import { registerSecret } from "../logging/redact";
import { secretSpec } from "./read";

export interface SecretSpec {
  /** Env var holding the value itself, e.g. SLACK_WEBHOOK_URL. */
  readonly valueVar: string;
  /** Env var holding a Secrets Manager ARN, e.g. SLACK_WEBHOOK_SECRET_ARN. */
  readonly arnVar: string;
}

/** Each secret's two variables, from the settings declaration. */
export const SECRETS = {
  slackWebhook: secretSpec("slackWebhookUrl"),
  slackAlertsWebhook: secretSpec("slackAlertsWebhookUrl"),
  slackReportsWebhook: secretSpec("slackReportsWebhookUrl"),
  notionToken: secretSpec("notionToken"),
  apiToken: secretSpec("apiToken"),
} as const satisfies Record<string, SecretSpec>;

const cache = new Map<string, Promise<string>>();
let client: SecretsManagerClient | undefined;

async function fetchSecret(arn: string, spec: SecretSpec): Promise<string> {
  client ??= new SecretsManagerClient({});
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    const value = out.SecretString?.trim();
    if (!value) throw new ConfigError(`the secret in ${spec.arnVar} has no string value`);
    return value;
  } catch (error) {
    if (error instanceof DroxError) throw error;
    const name = error instanceof Error ? error.name : "Error";
    throw new DroxError(`could not read the secret in ${spec.arnVar} from Secrets Manager (${name})`, {
      retryable: name !== "ResourceNotFoundException" && name !== "AccessDeniedException",
      cause: error,
    });
  }
}

/** The secret's value, or undefined when neither variable is set (optional secrets). */
export async function readOptionalSecret(
  spec: SecretSpec,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const direct = env[spec.valueVar]?.trim();
  if (direct) {
    registerSecret(direct);
    return direct;
  }
  const arn = env[spec.arnVar]?.trim();
  if (!arn) return undefined;
  let pending = cache.get(arn);
  if (!pending) {
    pending = fetchSecret(arn, spec);
    cache.set(arn, pending);
    // A failed read must not poison the cache: the next invocation tries again.
    pending.catch(() => cache.delete(arn));
  }
  const value = await pending;
  registerSecret(value);
  return value;
}

/** The secret's value; a ConfigError naming both variables when neither is set. */
export async function readSecret(spec: SecretSpec, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const value = await readOptionalSecret(spec, env);
  if (value === undefined) {
    throw new ConfigError(`${spec.valueVar} or ${spec.arnVar} must be set`);
  }
  return value;
}

/** Forgets cached values (tests; a rotated secret is picked up by the next cold start anyway). */
export function clearSecretCache(): void {
  cache.clear();
  client = undefined;
}
