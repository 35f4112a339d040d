import assert from "node:assert/strict";
import type { BackupResult, IntegrityCheck } from "../runtime/contract/events";
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
});
