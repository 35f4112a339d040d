/**
 * The configuration's secrets in AWS Secrets Manager, encrypted with the stack's key. The runtime
 * gets only the ARNs (Lambda environment) or ECS `secrets` references: a value never appears in an
 * environment variable, a task definition or a serialized closure.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Which runtime secret (runtime/secrets.ts `SECRETS`) each entry feeds. */
export type SecretName =
  | "slackWebhook"
  | "slackAlertsWebhook"
  | "slackReportsWebhook"
  | "slackBotToken"
  | "notionToken"
  | "apiToken";

export interface SecretsArgs {
  /** The secret values; optional ones that are absent get no secret. */
  readonly values: { readonly [K in SecretName]?: pulumi.Output<string> };
  /** KMS key for the secrets. @default the account's aws/secretsmanager key */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Days a deleted secret can be restored. @default 7 */
  readonly recoveryWindowInDays?: number;
  /** Tags for every resource. @default {} */
  readonly tags?: Record<string, string>;
}

const KEBAB: Record<SecretName, string> = {
  slackWebhook: "slack-webhook",
  slackAlertsWebhook: "slack-alerts-webhook",
  slackReportsWebhook: "slack-reports-webhook",
  slackBotToken: "slack-bot-token",
  notionToken: "notion-token",
  apiToken: "api-token",
};

export class Secrets extends pulumi.ComponentResource {
  /** ARN of each configured secret. */
  public readonly arns: { readonly [K in SecretName]?: pulumi.Output<string> };

  constructor(name: string, args: SecretsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("drox-backup:secrets:Secrets", name, {}, opts);
    const recoveryWindowInDays = args.recoveryWindowInDays ?? 7;
    const tags = args.tags ?? {};
    if (!args.values.slackWebhook || !args.values.notionToken || !args.values.apiToken) {
      throw new Error("Secrets: values.slackWebhook, values.notionToken and values.apiToken are required");
    }

    const arns: { [K in SecretName]?: pulumi.Output<string> } = {};
    const entries = Object.entries(args.values) as [SecretName, pulumi.Output<string> | undefined][];
    for (const [secretName, value] of entries) {
      if (value === undefined) continue;
      const role = KEBAB[secretName];
      const secret = new aws.secretsmanager.Secret(
        `${name}-${role}`,
        {
          description: `drox-backup ${role}`,
          recoveryWindowInDays,
          ...(args.kmsKeyArn ? { kmsKeyId: args.kmsKeyArn } : {}),
          tags,
        },
        { parent: this },
      );
      new aws.secretsmanager.SecretVersion(
        `${name}-${role}-value`,
        { secretId: secret.id, secretString: pulumi.secret(value) },
        { parent: this },
      );
      arns[secretName] = secret.arn;
    }
    this.arns = arns;
    this.registerOutputs({ arns });
  }
}
