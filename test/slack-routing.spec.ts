import assert from "node:assert/strict";
import type {
  BackupResult,
  Drill,
  IntegrityCheck,
  MonthlyReport,
  RestoreEvent,
} from "../runtime/contract/events";
import { routeEvent } from "../runtime/slack/routing";
import {
  SEED_CHECK_OK,
  SEED_CHECK_PROBLEM,
  SEED_FAILURE,
  SEED_REPORT,
  SEED_S3_WARNING,
  SEED_SUCCESS,
} from "./fixtures/events";

const MAIN = "https://hooks.slack.com/services/T1/B1/main";
const ALERTS = "https://hooks.slack.com/services/T1/B2/alerts";
const REPORTS = "https://hooks.slack.com/services/T1/B3/reports";
const ALL = { main: MAIN, alerts: ALERTS, reports: REPORTS };

const names = (targets: { name: string }[]) => targets.map((t) => t.name);

const DRILL: Drill = {
  schema: "backup.drill.v1",
  drillId: "01JDRILL0000000000000000AB",
  startedAt: "2024-11-09T14:00:00.000Z",
  finishedAt: "2024-11-09T14:20:00.000Z",
  status: "SUCCEEDED",
  resources: [],
  findings: [],
};

const RESTORE: RestoreEvent = {
  schema: "backup.restore.v1",
  restoreId: "01JCA0000000000000000RSTR1",
  type: "EBS",
  resource: "vol-123456",
  from: "snap-789",
  target: "vol-0abc",
  requestedBy: "alice",
  status: "SUCCEEDED",
  startedAt: "2024-11-04T02:00:00+09:00",
  finishedAt: "2024-11-04T02:01:05+09:00",
  durationSeconds: 65,
};

const MONTHLY: MonthlyReport = {
  schema: "backup.monthly-report.v1",
  reportId: "monthly-2024-11",
  month: "2024-11",
  periodStart: "2024-11-01T00:00:00+09:00",
  periodEnd: "2024-12-01T00:00:00+09:00",
  total: 0,
  succeeded: 0,
  warnings: 0,
  failed: 0,
  successRate: 0,
  averageDurationSeconds: 0,
  failedJobs: [],
  byType: [],
  weeks: [],
};

describe("Slack routing", () => {
  it("must send successes and WARNING results to the main webhook only", () => {
    assert.deepEqual(names(routeEvent(SEED_SUCCESS, ALL)), ["main"]);
    assert.deepEqual(names(routeEvent(SEED_S3_WARNING, ALL)), ["main"]);
  });

  it("must send failures to main and alerts", () => {
    assert.deepEqual(routeEvent(SEED_FAILURE, ALL), [
      { name: "main", url: MAIN },
      { name: "alerts", url: ALERTS },
    ]);
  });

  it("must send integrity problems (any status but SUCCEEDED) to main and alerts, clean checks to main", () => {
    assert.deepEqual(names(routeEvent(SEED_CHECK_PROBLEM, ALL)), ["main", "alerts"]);
    const warning: IntegrityCheck = { ...SEED_CHECK_PROBLEM, status: "WARNING" };
    assert.deepEqual(names(routeEvent(warning, ALL)), ["main", "alerts"]);
    assert.deepEqual(names(routeEvent(SEED_CHECK_OK, ALL)), ["main"]);
  });

  it("must send reports to main and reports", () => {
    assert.deepEqual(routeEvent(SEED_REPORT, ALL), [
      { name: "main", url: MAIN },
      { name: "reports", url: REPORTS },
    ]);
  });

  it("must fall back to main alone when the optional webhooks are not configured", () => {
    for (const event of [SEED_FAILURE, SEED_REPORT, SEED_CHECK_PROBLEM]) {
      assert.deepEqual(routeEvent(event, { main: MAIN }), [{ name: "main", url: MAIN }]);
    }
  });

  it("must send once to a URL configured for two channels", () => {
    const failed: BackupResult = SEED_FAILURE;
    assert.deepEqual(routeEvent(failed, { main: MAIN, alerts: MAIN }), [{ name: "main", url: MAIN }]);
    assert.deepEqual(names(routeEvent(SEED_REPORT, { main: MAIN, alerts: ALERTS, reports: ALERTS })), [
      "main",
      "reports",
    ]);
  });

  it("must send a FAILED restore drill or restore to main and alerts, the others to main only", () => {
    for (const event of [DRILL, RESTORE]) {
      assert.deepEqual(names(routeEvent({ ...event, status: "FAILED" }, ALL)), ["main", "alerts"]);
      assert.deepEqual(names(routeEvent({ ...event, status: "WARNING" }, ALL)), ["main"]);
      assert.deepEqual(names(routeEvent({ ...event, status: "SUCCEEDED" }, ALL)), ["main"]);
    }
  });

  it("must send the monthly report to main and reports, like the weekly one", () => {
    assert.deepEqual(routeEvent(MONTHLY, ALL), [
      { name: "main", url: MAIN },
      { name: "reports", url: REPORTS },
    ]);
  });
});
