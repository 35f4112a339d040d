/**
 * Slack checks (the seed's "Slack 알림이 전송되지 않음" list): each configured webhook's URL has
 * the Incoming Webhook form, and with `send` the test message reaches the main channel. The URLs
 * are secrets: no line ever contains one. In bot token mode the bot is checked instead: the token
 * (auth.test), its scopes, its membership of each channel (not a member → the exact /invite to
 * type), and with `send` a test post whose permalink is printed.
 */
import { BOT_CHANNEL_KEYS } from "../../settings/declaration";
import { envName, readSetting } from "../../settings/read";
import { readOptionalSecret, SECRETS, type SecretSpec } from "../../settings/secrets";
import { buildTestPayload, createSlackNotifierFromEnv, webhookUrlProblem } from "../../slack";
import { type BotSettings, readBotSettings } from "../../slack/settings";
import { apiAdvice, INVITE_COMMAND, REQUIRED_SCOPES, SlackApiError, SlackWebApi } from "../../slack/web-api";
import { type Check, errorText, fail, ok, warn } from "./check";

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

const CHANNEL_NAMES = {
  main: "#devops-backup",
  alerts: "#devops-alerts",
  reports: "#devops-reports",
} as const;

function apiFix(error: unknown, channel?: string): string {
  return error instanceof SlackApiError
    ? apiAdvice(error.slackError, channel)
    : "check the network path to slack.com";
}

async function checkBot(bot: BotSettings, options: SlackCheckOptions): Promise<Check[]> {
  const api = new SlackWebApi({
    token: bot.token,
    apiUrl: bot.apiUrl,
    retry: { retries: 1, minTimeout: 200, maxTimeout: 1_000 },
  });
  const tokenCheck = "Slack bot token (auth.test)";
  let scopes: readonly string[];
  try {
    const auth = await api.authTest();
    scopes = auth.scopes;
  } catch (error) {
    return [fail(tokenCheck, errorText(error), apiFix(error))];
  }
  const checks: Check[] = [ok(tokenCheck, "Slack accepts the bot token")];
  const missing = REQUIRED_SCOPES.filter((scope) => !scopes.includes(scope));
  checks.push(
    missing.length === 0
      ? ok("Slack bot scopes", `has ${REQUIRED_SCOPES.join(", ")}`)
      : fail(
          "Slack bot scopes",
          `missing ${missing.join(", ")} (has ${scopes.join(", ") || "none"})`,
          `add ${missing.join(", ")} under OAuth & Permissions → Bot Token Scopes in https://api.slack.com/apps, then reinstall the app to the workspace`,
        ),
  );
  for (const [target, label] of Object.entries(CHANNEL_NAMES) as [keyof typeof CHANNEL_NAMES, string][]) {
    const channel = bot.channels[target];
    const name = `Slack bot in ${label} (SLACK_${target === "main" ? "BACKUP" : target.toUpperCase()}_CHANNEL)`;
    if (channel === undefined) {
      checks.push(
        ok(name, target === "main" ? "not set" : "optional, not set: goes to the main channel only"),
      );
      continue;
    }
    // conversations.info takes ids; a name is resolved by Slack when posting (checked by --send).
    if (!/^[CG][A-Z0-9]+$/.test(channel)) {
      checks.push(ok(name, `configured by name (${channel}); the bot's membership is checked by --send`));
      continue;
    }
    try {
      const info = await api.channelInfo(channel);
      checks.push(
        info.isMember
          ? ok(name, `the bot is a member of #${info.name}`)
          : fail(name, `the bot is not a member of #${info.name}`, `type ${INVITE_COMMAND} in #${info.name}`),
      );
    } catch (error) {
      checks.push(fail(name, errorText(error), apiFix(error, channel)));
    }
  }
  if (!options.send) return checks;
  const sendName = "Slack test post (--send)";
  try {
    const ref = await api.postMessage(bot.channels.main, buildTestPayload({ timeZone: bot.timeZone }));
    checks.push(ok(sendName, `posted: ${await api.permalink(ref)}`));
  } catch (error) {
    checks.push(fail(sendName, errorText(error), apiFix(error, bot.channels.main)));
  }
  return checks;
}

/** Channels set without a bot token go unused (the webhooks post): almost always a forgotten token. */
function unusedChannels(env: NodeJS.ProcessEnv): Check | undefined {
  const set = BOT_CHANNEL_KEYS.filter((key) => readSetting(env, key) !== undefined).map(envName);
  if (set.length === 0) return undefined;
  return warn(
    `Slack bot channels (${set.join(", ")})`,
    `set without a bot token: messages go to the webhooks and ${set.length === 1 ? "this channel is" : "these channels are"} unused`,
    "set SLACK_BOT_TOKEN (pulumi config set --secret slackBotToken xoxb-…) for bot mode, or unset the channels",
  );
}

export async function checkSlack(env: NodeJS.ProcessEnv, options: SlackCheckOptions = {}): Promise<Check[]> {
  let bot: BotSettings | undefined;
  try {
    bot = await readBotSettings(env);
  } catch (error) {
    return [
      fail(
        "Slack bot settings",
        errorText(error),
        "set SLACK_BOT_TOKEN (xoxb-…) and SLACK_BACKUP_CHANNEL, or unset the token to use the webhooks",
      ),
    ];
  }
  if (bot) return checkBot(bot, options);
  const checks: Check[] = [];
  for (const hook of HOOKS) checks.push(await checkHook(hook, env));
  const unused = unusedChannels(env);
  if (unused) checks.push(unused);
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
