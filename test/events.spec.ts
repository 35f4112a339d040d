import assert from "node:assert/strict";
import { eventId, parseBackupResult, parseEvent, parseEventJson } from "../runtime/contract/events";
import { ValidationError } from "../runtime/contract/errors";
import { SEED_CHECK_PROBLEM, SEED_FAILURE, SEED_REPORT, SEED_SUCCESS } from "./fixtures/events";

function issuesOf(fn: () => unknown): { field: string; problem: string }[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected ValidationError, got ${String(error)}`);
    assert.equal(error.retryable, false);
    return [...error.issues];
  }
  assert.fail("expected a ValidationError");
}

describe("events schema", () => {
  it("must accept the seed's result, report and check events unchanged", () => {
    assert.deepEqual(parseEvent(SEED_SUCCESS), SEED_SUCCESS);
    assert.deepEqual(parseEvent(SEED_FAILURE), SEED_FAILURE);
    assert.deepEqual(parseEvent(SEED_REPORT), SEED_REPORT);
    assert.deepEqual(parseEvent(SEED_CHECK_PROBLEM), SEED_CHECK_PROBLEM);
  });

  it("must reject an unknown schema and list the known ones", () => {
    const issues = issuesOf(() => parseEvent({ ...SEED_SUCCESS, schema: "backup.result.v2" }));
    assert.deepEqual(issues, [
      {
        field: "schema",
        problem:
          "must be one of backup.result.v1, backup.report.v1, backup.check.v1, backup.restore.v1, backup.drill.v1, backup.monthly-report.v1",
      },
    ]);
  });

  it("must name each invalid field and its problem", () => {
    const issues = issuesOf(() => parseEvent({ ...SEED_SUCCESS, type: "EFS", durationSeconds: -1 }));
    const fields = issues.map((i) => i.field).sort();
    assert.deepEqual(fields, ["durationSeconds", "type"]);
    assert.match(issues.find((i) => i.field === "durationSeconds")!.problem, /negative/);
    assert.match(issues.find((i) => i.field === "type")!.problem, /EBS/);
  });

  it("must require error when status is FAILED", () => {
    const { error: _error, ...withoutError } = SEED_FAILURE;
    assert.deepEqual(
      issuesOf(() => parseEvent(withoutError)),
      [{ field: "error", problem: "is required when status is FAILED" }],
    );
  });

  it("must reject a timestamp without an offset-aware ISO form", () => {
    const issues = issuesOf(() => parseEvent({ ...SEED_SUCCESS, startedAt: "2024-11-04 02:00:00" }));
    assert.equal(issues[0]!.field, "startedAt");
  });

  it("must reject a report whose counts do not add up", () => {
    const issues = issuesOf(() => parseEvent({ ...SEED_REPORT, failed: 3 }));
    assert.deepEqual(issues, [{ field: "total", problem: "must equal succeeded + warnings + failed" }]);
  });

  it("must reject nested field problems with their dotted path", () => {
    const issues = issuesOf(() =>
      parseEvent({ ...SEED_CHECK_PROBLEM, findings: [{ severity: "LOUD", resource: "x", message: "m" }] }),
    );
    assert.equal(issues[0]!.field, "findings.0.severity");
  });

  it("must reject non-JSON text and non-objects", () => {
    assert.equal(issuesOf(() => parseEventJson("{not json"))[0]!.problem, "must be valid JSON");
    assert.equal(issuesOf(() => parseEvent([1, 2]))[0]!.problem, "must be an object");
    assert.equal(issuesOf(() => parseEvent(null))[0]!.problem, "must be an object");
  });

  it("must never echo a field's value in the error message", () => {
    const sentinel = "SENTINEL-VALUE-https://hooks.slack.com/services/T000/B000/SENTINEL";
    try {
      parseEvent({ ...SEED_SUCCESS, jobId: sentinel, type: sentinel });
      assert.fail("expected rejection");
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.ok(!error.message.includes("SENTINEL"), error.message);
      assert.ok(!JSON.stringify(error.issues).includes("SENTINEL"));
    }
  });

  it("must accept only results where a result is expected", () => {
    assert.equal(parseBackupResult(SEED_SUCCESS).jobId, SEED_SUCCESS.jobId);
    assert.deepEqual(
      issuesOf(() => parseBackupResult(SEED_REPORT)),
      [{ field: "schema", problem: "must be backup.result.v1" }],
    );
  });

  it("must key each event kind by its own id", () => {
    assert.equal(eventId(SEED_SUCCESS), SEED_SUCCESS.jobId);
    assert.equal(eventId(SEED_REPORT), "weekly-2024-11-03");
    assert.equal(eventId(SEED_CHECK_PROBLEM), "check-2024-11-05");
  });
});
