/**
 * Slack checks (the seed's "Slack 알림이 전송되지 않음" list): each configured webhook's URL has
 * the Incoming Webhook form, and with `send` the test message reaches the main channel. The URLs
 * are secrets: no line ever contains one.
 */
import { readOptionalSecret, SECRETS, type SecretSpec } from "../../settings/secrets";
import { createSlackNotifierFromEnv, webhookUrlProblem } from "../../slack";
import { type Check, errorText, fail, ok } from "./check";

interface Hook {
  readonly spec: SecretSpec;
  readonly channel: string;
  readonly required: boolean;
  readonly pulumiKey: string;
  readonly unsetNote: string;
}

const HOOKS: readonly Hook[] = [
  {
    spec: SECRETS.slackWebhook,
    channel: "#devops-backup",
    required: true,
    pulumiKey: "slackWebhookUrl",
    unsetNote: "",
  },
  {
    spec: SECRETS.slackAlertsWebhook,
    channel: "#devops-alerts",
    required: false,
    pulumiKey: "slackAlertsWebhookUrl",
    unsetNote: "optional, not set: failures and integrity problems go to #devops-backup only",
  },
  {
    spec: SECRETS.slackReportsWebhook,
    channel: "#devops-reports",
    required: false,
    pulumiKey: "slackReportsWebhookUrl",
    unsetNote: "optional, not set: weekly reports go to #devops-backup only",
  },
];

function createHookFix(hook: Hook): string {
  return (
    `in https://api.slack.com/apps → "DROX DevOps Backup" → Incoming Webhooks → Add New Webhook to Workspace → ` +
    `${hook.channel} → Allow, copy the URL into ${hook.spec.valueVar} ` +
    `(deployed: pulumi config set --secret ${hook.pulumiKey} <url>)`
  );
}

async function checkHook(hook: Hook, env: NodeJS.ProcessEnv): Promise<Check> {
  const { valueVar, arnVar } = hook.spec;
  const name = `Slack webhook ${hook.channel} (${valueVar})`;
  let url: string | undefined;
  try {
    url = await readOptionalSecret(hook.spec, env);
  } catch (error) {
    return fail(
      name,
      errorText(error),
      `check that ${arnVar} is the ARN of a Secrets Manager secret holding the webhook URL, readable with these credentials`,
    );
  }
  if (url === undefined) {
    return hook.required
      ? fail(name, `neither ${valueVar} nor ${arnVar} is set`, createHookFix(hook))
      : ok(name, hook.unsetNote);
  }
  const source = env[valueVar]?.trim() ? valueVar : `the secret in ${arnVar}`;
  const problem = webhookUrlProblem(url, { allowLoopback: true });
  if (problem) {
    return fail(
      name,
      `${source} ${problem} (an Incoming Webhook URL is https, on hooks.slack.com, with the path /services/T…/B…/…)`,
      `copy the whole URL again from the Slack app's Incoming Webhooks page (no spaces, no quotes); if it is gone, ${createHookFix(hook)}`,
    );
  }
  return ok(name, `${source} is a Slack Incoming Webhook URL`);
}

export interface SlackCheckOptions {
  /** Post the test message to the main webhook. */
  readonly send?: boolean;
}

export async function checkSlack(env: NodeJS.ProcessEnv, options: SlackCheckOptions = {}): Promise<Check[]> {
  const checks: Check[] = [];
  for (const hook of HOOKS) checks.push(await checkHook(hook, env));
  if (!options.send) return checks;
  const name = "Slack test message (--send)";
  if (checks.some((c) => c.status === "fail")) {
    checks.push(
      fail(name, "not sent: fix the webhook settings above first", "fix the ✗ lines above, then run again"),
    );
    return checks;
  }
  try {
    const notifier = await createSlackNotifierFromEnv(env);
    await notifier.sendTest();
    checks.push(ok(name, "posted to the main webhook: look for it in #devops-backup"));
  } catch (error) {
    checks.push(
      fail(
        name,
        errorText(error),
        "check that the Slack app is still installed, its Incoming Webhook active and the channel not deleted or archived",
      ),
    );
  }
  return checks;
}
