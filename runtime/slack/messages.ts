/**
 * The plain `text` of every Slack message. Success, failure and the weekly report are the seed's
 * texts line for line (they are the product's contract); warnings, integrity checks and the test
 * message follow the same layout. Pure functions: no I/O, the clock only through `now`.
 */
import type {
  BackupResult,
  Drill,
  DrillResource,
  DroxEvent,
  FailedJob,
  Finding,
  IntegrityCheck,
  Metrics,
  MonthlyReport,
  RestoreEvent,
  Severity,
  WeeklyReport,
} from "../contract/events";
import {
  DEFAULT_THRESHOLDS,
  formatSuccessRate,
  type SuccessLevel,
  successLevel,
  type Thresholds,
} from "../settings/success-rate";
import { DEFAULT_TIME_ZONE, formatDateTime, formatDuration } from "../contract/time";
import { monthLabel } from "../reports/labels";

// Defined once in ../success-rate so Slack and Notion share them; re-exported for existing importers.
export { DEFAULT_THRESHOLDS, type Thresholds } from "../settings/success-rate";

export interface FormatOptions {
  /** IANA zone the times are shown in. @default Asia/Seoul */
  readonly timeZone?: string;
  /** Success-rate emoji thresholds of the weekly report. @default 0.95 / 0.80 */
  readonly thresholds?: Thresholds;
}

/** How many list items (failed jobs, findings) the plain text carries before `… 외 N건`. */
export const TEXT_LIST_LIMIT = 50;
/**
 * Slack truncates `text` beyond 40,000 characters on every way of posting, incoming webhooks
 * included (https://api.slack.com/changelog/2018-04-truncating-really-long-messages); we cut first
 * so the cut is visible.
 */
export const TEXT_LIMIT = 40_000;

export const BACKUP_TITLES = {
  SUCCEEDED: "✅ 백업 작업 성공",
  WARNING: "⚠️ 백업 작업 경고",
  FAILED: "❌ 백업 작업 실패",
} as const;

export const CHECK_TITLES = {
  SUCCEEDED: "🔐 보안 점검 완료",
  WARNING: "⚠️ 보안 점검 주의 필요",
  FAILED: "🚨 보안 점검 이상 발견",
} as const;

export const TEST_TITLE = "🔔 DROX DevOps Backup 테스트 메시지";
export const URGENT_LINE = "⚠️ 즉시 확인이 필요합니다.";
export const REVIEW_LINE = "⚠️ 점검이 필요합니다.";

export const SEVERITY_LABELS: Record<Severity, string> = {
  CRITICAL: "심각",
  WARNING: "경고",
  INFO: "정보",
};

/** Cuts `text` to at most `max` UTF-16 units ending in `…`, never splitting a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

export const LEVEL_EMOJI: Record<SuccessLevel, string> = { ok: "✅", warn: "⚠️", bad: "❌" };

/** `✅`, `⚠️` or `❌` for a success rate (0..1): the shared level, the same Notion records. */
export function successRateEmoji(rate: number, thresholds: Thresholds = DEFAULT_THRESHOLDS): string {
  return LEVEL_EMOJI[successLevel(rate, thresholds)];
}

/** `95.2%`: one decimal, as the seed shows it (the rounding the level is judged on). */
export function formatPercent(rate: number): string {
  return formatSuccessRate(rate);
}

/** The metric lines a job has, in the seed's order; size stays out (the seed's text has none). */
export function metricLines(metrics: Metrics | undefined): string[] {
  if (!metrics) return [];
  const lines: string[] = [];
  if (metrics.snapshotId !== undefined) lines.push(`스냅샷 ID: ${metrics.snapshotId}`);
  if (metrics.filesCopied !== undefined && metrics.filesTotal !== undefined) {
    lines.push(`파일 수: ${metrics.filesCopied}/${metrics.filesTotal}`);
  } else if (metrics.filesCopied !== undefined) {
    lines.push(`파일 수: ${metrics.filesCopied}`);
  } else if (metrics.filesTotal !== undefined) {
    lines.push(`파일 수: -/${metrics.filesTotal}`);
  }
  if ((metrics.filesFailed ?? 0) > 0) {
    lines.push(`실패한 파일: ${metrics.filesFailed}`);
  }
  if (metrics.copySnapshotId !== undefined) {
    const region = metrics.copyRegion === undefined ? "" : ` (${metrics.copyRegion})`;
    lines.push(`DR 복사본: ${metrics.copySnapshotId}${region}`);
  }
  return lines;
}

/** `• EBS: vol-old-123` lines, the first `limit` of them, then `… 외 N건`. */
export function failedJobLines(jobs: readonly FailedJob[], limit = TEXT_LIST_LIMIT): string[] {
  return capList(
    jobs.map((job) => `• ${job.type}: ${job.resource}`),
    limit,
  );
}

export function findingLine(finding: Finding): string {
  return `• [${SEVERITY_LABELS[finding.severity]}] ${finding.resource}: ${finding.message}`;
}

export function capList(lines: readonly string[], limit: number): string[] {
  if (lines.length <= limit) return [...lines];
  return [...lines.slice(0, limit), `… 외 ${lines.length - limit}건`];
}

function resultText(event: BackupResult, timeZone: string): string {
  const header = [BACKUP_TITLES[event.status], "", `타입: ${event.type}`, `리소스: ${event.resource}`];
  const metrics = metricLines(event.metrics);
  const metricBlock = metrics.length > 0 ? ["", "메트릭:", ...metrics] : [];
  if (event.status === "SUCCEEDED") {
    return [
      ...header,
      `실행 시간: ${formatDuration(event.durationSeconds)}`,
      `Job ID: ${event.jobId}`,
      ...metricBlock,
    ].join("\n");
  }
  const when = `시각: ${formatDateTime(event.startedAt, timeZone)}`;
  if (event.status === "FAILED") {
    return [
      ...header,
      `Job ID: ${event.jobId}`,
      when,
      "",
      "에러 메시지:",
      event.error?.message ?? "(없음)",
      ...metricBlock,
      "",
      URGENT_LINE,
    ].join("\n");
  }
  const warning = event.error ? ["", "경고 내용:", event.error.message] : [];
  return [
    ...header,
    `실행 시간: ${formatDuration(event.durationSeconds)}`,
    `Job ID: ${event.jobId}`,
    when,
    ...warning,
    ...metricBlock,
    "",
    REVIEW_LINE,
  ].join("\n");
}

export function successRateLine(
  report: Pick<WeeklyReport, "total" | "successRate">,
  thresholds: Thresholds,
): string {
  if (report.total === 0) return "성공률: - (실행 없음)";
  return `성공률: ${successRateEmoji(report.successRate, thresholds)} ${formatPercent(report.successRate)}`;
}

function reportText(report: WeeklyReport, thresholds: Thresholds): string {
  const lines = [
    `📊 ${report.weekLabel} 백업 리포트`,
    "",
    `총 실행: ${report.total}건`,
    `성공: ${report.succeeded}건`,
    // The seed's report has no warnings line; it appears only when there were warnings.
    ...(report.warnings > 0 ? [`경고: ${report.warnings}건`] : []),
    `실패: ${report.failed}건`,
    successRateLine(report, thresholds),
    "",
    `평균 실행 시간: ${formatDuration(report.averageDurationSeconds)}`,
  ];
  if (report.failedJobs.length > 0) lines.push("", "실패한 작업:", ...failedJobLines(report.failedJobs));
  return lines.join("\n");
}

/** `12건, 성공률 ✅ 95.2%`: one slice of the monthly report (a type or a week). */
export function tallyLine(
  tally: Pick<WeeklyReport, "total" | "successRate">,
  thresholds: Thresholds,
): string {
  // Stryker disable next-line Regex: successRateLine always starts with "성공률: ", its only occurrence
  return `${tally.total}건, ${successRateLine(tally, thresholds).replace(/^성공률: /, "성공률 ")}`;
}

/** The weekly report's text over a month, then per type and week by week. */
function monthlyText(report: MonthlyReport, thresholds: Thresholds): string {
  const lines = [
    `📊 ${monthLabel(report.month)} 백업 리포트`,
    "",
    `총 실행: ${report.total}건`,
    `성공: ${report.succeeded}건`,
    ...(report.warnings > 0 ? [`경고: ${report.warnings}건`] : []),
    `실패: ${report.failed}건`,
    successRateLine(report, thresholds),
    "",
    `평균 실행 시간: ${formatDuration(report.averageDurationSeconds)}`,
  ];
  if (report.byType.length > 0)
    lines.push("", "타입별:", ...report.byType.map((t) => `• ${t.type}: ${tallyLine(t, thresholds)}`));
  lines.push("", "주차별:", ...report.weeks.map((w) => `• ${w.weekLabel}: ${tallyLine(w, thresholds)}`));
  if (report.failedJobs.length > 0) lines.push("", "실패한 작업:", ...failedJobLines(report.failedJobs));
  return lines.join("\n");
}

function checkText(check: IntegrityCheck, timeZone: string): string {
  const lines = [CHECK_TITLES[check.status], "", `점검 ID: ${check.checkId}`];
  lines.push(`시각: ${formatDateTime(check.checkedAt, timeZone)}`);
  if (check.checkedResources !== undefined) lines.push(`점검 대상: ${check.checkedResources}개`);
  if (check.findings.length === 0) {
    lines.push("결과: 이상 없음");
  } else {
    lines.push(`발견 사항: ${check.findings.length}건`, "", "발견 사항 목록:");
    lines.push(...capList(check.findings.map(findingLine), TEXT_LIST_LIMIT));
  }
  if (check.status === "FAILED") lines.push("", URGENT_LINE);
  if (check.status === "WARNING") lines.push("", REVIEW_LINE);
  return lines.join("\n");
}

export const DRILL_TITLES = {
  SUCCEEDED: "🧪 복구 테스트 완료",
  WARNING: "🧪 복구 테스트 주의 필요",
  FAILED: "🧪 복구 테스트 실패",
} as const;

const STATUS_MARK = { SUCCEEDED: "✅", WARNING: "⚠️", FAILED: "❌" } as const;

/** `• ✅ EBS: vol-1 (snap-2) — 복구 시간 12분 4초`; S3 shows its sample instead of a restore time. */
export function drillResourceLine(r: DrillResource): string {
  const head = `• ${STATUS_MARK[r.status]} ${r.type}: ${r.resource}${r.snapshotId ? ` (${r.snapshotId})` : ""}`;
  const detail: string[] = [];
  if (r.secondsToRestore !== undefined) detail.push(`복구 시간 ${formatDuration(r.secondsToRestore)}`);
  if (r.sample) detail.push(`표본 ${r.sample.objects}/${r.sample.sourceObjects}개 비교`);
  return detail.length > 0 ? `${head} — ${detail.join(", ")}` : head;
}

/** The drill's own findings first (sweeps, refusals), then each resource's. */
export function drillFindings(drill: Drill): Finding[] {
  return [...drill.findings, ...drill.resources.flatMap((r) => r.findings)];
}

function drillText(drill: Drill, timeZone: string): string {
  const lines = [DRILL_TITLES[drill.status], "", `Drill ID: ${drill.drillId}`];
  lines.push(`시각: ${formatDateTime(drill.startedAt, timeZone)}`);
  if (drill.resources.length > 0) {
    lines.push("", "복구 결과:", ...capList(drill.resources.map(drillResourceLine), TEXT_LIST_LIMIT));
  }
  const findings = drillFindings(drill);
  if (findings.length > 0) {
    lines.push("", `발견 사항: ${findings.length}건`, "", "발견 사항 목록:");
    lines.push(...capList(findings.map(findingLine), TEXT_LIST_LIMIT));
  }
  if (drill.status === "FAILED") lines.push("", URGENT_LINE);
  if (drill.status === "WARNING") lines.push("", REVIEW_LINE);
  return lines.join("\n");
}

/** The message text of an event, capped at Slack's 40,000 characters. */
export function formatMessage(event: DroxEvent, options: FormatOptions = {}): string {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  let text: string;
  switch (event.schema) {
    case "backup.result.v1":
      text = resultText(event, timeZone);
      break;
    case "backup.report.v1":
      text = reportText(event, thresholds);
      break;
    case "backup.check.v1":
      text = checkText(event, timeZone);
      break;
    case "backup.drill.v1":
      text = drillText(event, timeZone);
      break;
    case "backup.restore.v1":
      text = restoreText(event, timeZone);
      break;
    case "backup.monthly-report.v1":
      text = monthlyText(event, thresholds);
      break;
  }
  return truncate(text, TEXT_LIMIT);
}

/** The test message (`POST /api/test/slack`, `drox-backup doctor`). */
export function formatTestMessage(options: FormatOptions & { readonly now?: Date } = {}): string {
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  return [
    TEST_TITLE,
    "",
    "Slack 연동이 정상적으로 설정되었습니다.",
    `시각: ${formatDateTime(options.now ?? new Date(), timeZone)}`,
  ].join("\n");
}

export const RESTORE_TITLES = {
  SUCCEEDED: "♻️ 복구 완료",
  WARNING: "♻️ 복구 경고",
  FAILED: "♻️ 복구 실패",
} as const;

/** `원본`: the backup restored, with the point in time of an S3 restore and what it backed up. */
export function restoreSource(event: RestoreEvent, timeZone: string = DEFAULT_TIME_ZONE): string {
  const at = event.at === undefined ? "" : ` (${formatDateTime(event.at, timeZone)} 시점)`;
  return `${event.from}${at} · ${event.resource}`;
}

/** The restore's metric lines, only those it has. */
export function restoreMetricLines(event: RestoreEvent): string[] {
  const m = event.metrics;
  if (!m) return [];
  const lines: string[] = [];
  if (m.endpoint !== undefined) lines.push(`엔드포인트: ${m.endpoint}`);
  if (m.filesTotal !== undefined) lines.push(`파일 수: ${m.filesCopied ?? 0}/${m.filesTotal}`);
  if ((m.filesSkipped ?? 0) > 0) lines.push(`이미 같은 파일: ${m.filesSkipped}`);
  if ((m.filesRefused ?? 0) > 0) lines.push(`덮어쓰지 않은 파일: ${m.filesRefused}`);
  if ((m.filesFailed ?? 0) > 0) lines.push(`실패한 파일: ${m.filesFailed}`);
  return lines;
}

function restoreText(event: RestoreEvent, timeZone: string): string {
  const lines = [
    RESTORE_TITLES[event.status],
    "",
    `타입: ${event.type}`,
    `원본: ${restoreSource(event, timeZone)}`,
    `복구 대상: ${event.target}`,
    ...(event.region === undefined ? [] : [`리전: ${event.region}`]),
    `소요 시간: ${formatDuration(event.durationSeconds)}`,
    `실행자: ${event.requestedBy}`,
    `Restore ID: ${event.restoreId}`,
  ];
  if (event.status !== "SUCCEEDED") lines.push(`시각: ${formatDateTime(event.startedAt, timeZone)}`);
  const metrics = restoreMetricLines(event);
  if (metrics.length > 0) lines.push("", "메트릭:", ...metrics);
  if (event.status === "FAILED")
    lines.push("", "에러 메시지:", event.error?.message ?? "(없음)", "", URGENT_LINE);
  if (event.status === "WARNING") {
    if (event.error) lines.push("", "경고 내용:", event.error.message);
    lines.push("", REVIEW_LINE);
  }
  return lines.join("\n");
}
