/**
 * Judging a drill: a resource's status follows from its findings (CRITICAL → FAILED, WARNING →
 * WARNING), the drill's from its resources and its own findings, worst first.
 */
import type { DrillResource, Finding, Severity, Status } from "../contract/events";

const RANK: Record<Status, number> = { SUCCEEDED: 0, WARNING: 1, FAILED: 2 };
const FROM_SEVERITY: Record<Severity, Status> = { INFO: "SUCCEEDED", WARNING: "WARNING", CRITICAL: "FAILED" };

export function worst(statuses: readonly Status[]): Status {
  return statuses.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), "SUCCEEDED");
}

export function statusOf(findings: readonly Finding[]): Status {
  return worst(findings.map((f) => FROM_SEVERITY[f.severity]));
}

export function finding(severity: Severity, resource: string, message: string): Finding {
  return { severity, resource, message: message.trim() || "no details" };
}

/** What went wrong with a failed resource, in one line: its first CRITICAL finding. */
export function drillFailureMessage(resource: DrillResource): string {
  const critical = resource.findings.find((f) => f.severity === "CRITICAL") ?? resource.findings[0];
  return critical?.message ?? "failed without a finding";
}
