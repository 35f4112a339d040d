/**
 * Where the sandbox delivers: the real Slack and Notion when their settings are in the environment,
 * otherwise a local capture — the fake Slack and Notion servers of test/fakes, started in this
 * process. They validate requests as the real APIs do, so what they accept is exactly what would
 * have been sent; the sandbox prints it.
 */
import { FakeSlack } from "../../test/fakes/slack-server";
import { type FakeNotionServer, seedProperties, startFakeNotion } from "../../test/fakes/notion-server";

/** The guide's three channels, as the three webhooks of the local capture. */
export const CHANNELS = {
  main: "devops-backup",
  alerts: "devops-alerts",
  reports: "devops-reports",
} as const;

export interface CapturedSlack {
  readonly channel: string;
  readonly text: string;
}

export interface CapturedPage {
  /** Property name → value as sent, rendered as text. */
  readonly properties: Record<string, string>;
}

export interface Destinations {
  readonly slackMode: "real" | "capture";
  readonly notionMode: "real" | "capture";
  /** Messages accepted by the local Slack since the last call (empty in real mode). */
  takeSlack(): CapturedSlack[];
  /** Pages created in the local Notion since the last call (empty in real mode). */
  takeNotion(): CapturedPage[];
  /** Every captured message per channel, for the summary. */
  slackCounts(): Record<string, number>;
  close(): Promise<void>;
}

function richText(value: unknown): string {
  return Array.isArray(value)
    ? value.map((item: { text?: { content?: string } }) => item.text?.content ?? "").join("")
    : "";
}

/** One property value, as the request carried it, as text (the seed's table shows these). */
export function renderValue(value: Record<string, unknown>): string {
  const [type, inner] = Object.entries(value).find(([k]) => k !== "type") ?? ["", undefined];
  switch (type) {
    case "title":
    case "rich_text":
      return richText(inner);
    case "date":
      return (inner as { start?: string } | null)?.start ?? "";
    case "status":
    case "select":
      return (inner as { name?: string } | null)?.name ?? "";
    case "multi_select":
      return Array.isArray(inner) ? inner.map((o: { name?: string }) => o.name ?? "").join(", ") : "";
    case "number":
    case "checkbox":
      return String(inner);
    case "url":
      return typeof inner === "string" ? inner : "";
    default:
      return JSON.stringify(inner);
  }
}

const SETTINGS = ["SLACK_", "NOTION_"];

/**
 * Sets up delivery in `env` (the process environment the handlers read). Real Slack needs
 * SLACK_WEBHOOK_URL; real Notion needs NOTION_TOKEN and NOTION_DATABASE_ID. Secret ARNs are not
 * used: AWS here is the local emulator, which holds no secrets.
 */
export async function setUpDestinations(env: NodeJS.ProcessEnv): Promise<Destinations> {
  const realSlack = Boolean(env.SLACK_WEBHOOK_URL?.trim());
  const realNotion = Boolean(env.NOTION_TOKEN?.trim() && env.NOTION_DATABASE_ID?.trim());
  for (const key of Object.keys(env)) {
    // Assigning undefined to process.env would store the string "undefined".
    if (SETTINGS.some((p) => key.startsWith(p)) && key.endsWith("_SECRET_ARN"))
      Reflect.deleteProperty(env, key);
  }
  let slack: FakeSlack | undefined;
  let notion: FakeNotionServer | undefined;
  let dataSourceId = "";
  if (!realSlack) {
    slack = await FakeSlack.start();
    env.SLACK_WEBHOOK_URL = slack.webhookUrl(CHANNELS.main);
    env.SLACK_ALERTS_WEBHOOK_URL = slack.webhookUrl(CHANNELS.alerts);
    env.SLACK_REPORTS_WEBHOOK_URL = slack.webhookUrl(CHANNELS.reports);
  }
  if (!realNotion) {
    notion = await startFakeNotion();
    const db = notion.addDatabase({ schema: seedProperties({ withJobId: true }) });
    dataSourceId = db.dataSourceId;
    env.NOTION_API_BASE_URL = notion.url;
    env.NOTION_TOKEN = notion.token;
    env.NOTION_DATABASE_ID = db.databaseId;
  }
  let slackSeen = 0;
  let notionSeen = 0;
  return {
    slackMode: realSlack ? "real" : "capture",
    notionMode: realNotion ? "real" : "capture",
    takeSlack() {
      const all = slack?.messages() ?? [];
      const fresh = all.slice(slackSeen);
      slackSeen = all.length;
      return fresh.map((m) => ({ channel: `#${m.hook}`, text: m.text ?? "" }));
    },
    takeNotion() {
      const all = notion?.pages(dataSourceId) ?? [];
      const fresh = all.slice(notionSeen);
      notionSeen = all.length;
      return fresh.map((p) => ({
        properties: Object.fromEntries(Object.entries(p.properties).map(([k, v]) => [k, renderValue(v)])),
      }));
    },
    slackCounts() {
      const counts: Record<string, number> = {};
      for (const m of slack?.messages() ?? []) counts[`#${m.hook}`] = (counts[`#${m.hook}`] ?? 0) + 1;
      return counts;
    },
    async close() {
      await Promise.all([slack?.close(), notion?.close()]);
    },
  };
}
