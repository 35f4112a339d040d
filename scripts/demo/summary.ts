/**
 * The sandbox's outcome as data (written with --json for CI) and as the closing summary lines.
 */
import type { BackupResult, IntegrityCheck, Status, WeeklyReport } from "../../runtime/contract/events";
import type { CapturedPage, CapturedSlack } from "./destinations";

export interface DeliveryRecord {
  /** `backup.result.v1 EBS vol-… SUCCEEDED` etc. */
  readonly event: string;
  readonly slack: { readonly ok: boolean; readonly error?: string; readonly captured: CapturedSlack[] };
  readonly notion: { readonly ok: boolean; readonly error?: string; readonly captured: CapturedPage[] };
}

export interface DemoSummary {
  readonly results: readonly Pick<BackupResult, "type" | "resource" | "status" | "jobId" | "error">[];
  readonly check: Pick<IntegrityCheck, "status" | "checkId" | "findings">;
  readonly report: Pick<
    WeeklyReport,
    "weekLabel" | "total" | "succeeded" | "warnings" | "failed" | "successRate"
  >;
  /** The weekly report's chart, a PNG. */
  readonly chartFile: string;
  readonly eventsPublished: number;
  readonly deliveries: readonly DeliveryRecord[];
  readonly slackMode: "real" | "capture";
  readonly notionMode: "real" | "capture";
  readonly slackByChannel: Record<string, number>;
  readonly durationMs: number;
}

function tally(statuses: readonly Status[]): string {
  const count = (s: Status) => statuses.filter((x) => x === s).length;
  return `SUCCEEDED ${count("SUCCEEDED")}, WARNING ${count("WARNING")}, FAILED ${count("FAILED")}`;
}

export function summaryLines(s: DemoSummary): string[] {
  const byType = ["EBS", "RDS", "S3"]
    .map((t) => `${t} ${s.results.filter((r) => r.type === t).length}`)
    .join(", ");
  const failed = s.results.filter((r) => r.status === "FAILED");
  const slackOk = s.deliveries.filter((d) => d.slack.ok).length;
  const notionOk = s.deliveries.filter((d) => d.notion.ok).length;
  const channels = Object.entries(s.slackByChannel)
    .map(([c, n]) => `${c} ${n}`)
    .join(", ");
  const slackMessages = Object.values(s.slackByChannel).reduce((a, b) => a + b, 0);
  const lines = [
    "Summary",
    `  Jobs run:          ${s.results.length} backups (${byType}), 1 integrity check, 1 weekly report`,
    `  Backup statuses:   ${tally(s.results.map((r) => r.status))}`,
    ...failed.map((r) => `    FAILED ${r.type} ${r.resource}: ${r.error?.message ?? "(no message)"}`),
    `  Integrity check:   ${s.check.status}, ${s.check.findings.length} finding(s)`,
    `  Weekly report:     ${s.report.weekLabel}, ${s.report.total} runs, ${s.report.succeeded} succeeded, ${s.report.failed} failed, success rate ${(s.report.successRate * 100).toFixed(1)}%`,
    `  Weekly chart:      ${s.chartFile} (PNG, the picture in the report's Notion page)`,
    `  Events published:  ${s.eventsPublished}`,
    s.slackMode === "capture"
      ? `  Slack:             ${slackOk}/${s.deliveries.length} events delivered, ${slackMessages} messages captured (${channels})`
      : `  Slack:             ${slackOk}/${s.deliveries.length} events delivered to the real webhooks`,
    s.notionMode === "capture"
      ? `  Notion:            ${notionOk}/${s.deliveries.length} events delivered, ${s.deliveries.reduce((n, d) => n + d.notion.captured.length, 0)} pages created (captured)`
      : `  Notion:            ${notionOk}/${s.deliveries.length} events delivered to the real database`,
    `  Time:              ${(s.durationMs / 1000).toFixed(1)} s`,
  ];
  const broken = s.deliveries.filter((d) => !d.slack.ok || !d.notion.ok);
  for (const d of broken) {
    if (d.slack.error) lines.push(`  ✗ Slack ${d.event}: ${d.slack.error}`);
    if (d.notion.error) lines.push(`  ✗ Notion ${d.event}: ${d.notion.error}`);
  }
  return lines;
}

/** Every delivery worked (the RDS failure is on purpose and does not count). */
export function deliveredAll(s: DemoSummary): boolean {
  return s.deliveries.every((d) => d.slack.ok && d.notion.ok);
}
