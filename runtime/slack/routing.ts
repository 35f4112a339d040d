/**
 * Which webhooks an event goes to. Every event goes to the main channel (#devops-backup). The seed
 * reserves #devops-alerts for urgent news — "백업 실패, 무결성 검사 실패" — so FAILED results and
 * integrity checks that are not SUCCEEDED go there too; WARNING results (⚠️ 점검필요) are not urgent
 * and stay in the main channel only. Reports also go to #devops-reports. A FAILED restore drill is
 * an urgent failure too and goes to #devops-alerts. Optional webhooks that are
 * not configured are skipped, and a URL configured twice receives the message once.
 */
import type { DroxEvent } from "../contract/events";
import type { Webhooks } from "./settings";

export type WebhookName = keyof Webhooks;

export interface Target {
  readonly name: WebhookName;
  readonly url: string;
}

/** The webhook names an event belongs to, before configuration is taken into account. */
export function channelsFor(event: DroxEvent): WebhookName[] {
  switch (event.schema) {
    case "backup.result.v1":
      return event.status === "FAILED" ? ["main", "alerts"] : ["main"];
    case "backup.check.v1":
      return event.status === "SUCCEEDED" ? ["main"] : ["main", "alerts"];
    case "backup.report.v1":
    case "backup.monthly-report.v1":
      return ["main", "reports"];
    // Stryker disable next-line ConditionalExpression: without its case a drill falls through to the restore's, the same rule
    case "backup.drill.v1":
      // A backup that cannot be restored is as urgent as one that failed.
      return event.status === "FAILED" ? ["main", "alerts"] : ["main"];
    case "backup.restore.v1":
      return event.status === "FAILED" ? ["main", "alerts"] : ["main"];
  }
}

/** The configured, de-duplicated targets of an event, main first. */
export function routeEvent(event: DroxEvent, webhooks: Webhooks): Target[] {
  const targets: Target[] = [];
  const seen = new Set<string>();
  for (const name of channelsFor(event)) {
    const url = webhooks[name];
    if (url === undefined || seen.has(url)) continue;
    seen.add(url);
    targets.push({ name, url });
  }
  return targets;
}
