/**
 * Job ids of a named run. The HTTP service answers a run request at once (202) with the run's id,
 * before any target is resolved; the run's results must then be findable on any task, in history,
 * Slack and Notion. So they carry it: the n-th result (1-based, in plan order) is `<runId>-<n>`.
 * A single-resource run therefore has exactly one job id known in advance, `<runId>-1`.
 * Run ids are ULIDs, so a run's start time — the earliest any of its results can finish — is
 * in its id and a history look-up needs no scan.
 */
import { decodeTime } from "ulid";
import { ValidationError } from "../contract/errors";

/** Leaves room for `-<n>` within the event schema's 128-character job ids. */
const RUN_ID = /^[A-Za-z0-9._:/@+=-]{1,100}$/;
const RUN_JOB_ID = /^(.+)-([1-9]\d*)$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) {
    throw new ValidationError(`run id "${runId}" is not valid`, [
      { field: "runId", problem: "must be 1 to 100 letters, digits or . _ : / @ + = -" },
    ]);
  }
}

/** The job id of the n-th (1-based) result of run `runId`. */
export function runJobId(runId: string, n: number): string {
  return `${runId}-${n}`;
}

/** What every job id of the run starts with. */
export function runJobPrefix(runId: string): string {
  return `${runId}-`;
}

/** The run a job id was allocated by, or undefined for a job id of no named run. */
export function runIdOf(jobId: string): string | undefined {
  return RUN_JOB_ID.exec(jobId)?.[1];
}

/** When a ULID run id was made; undefined for other ids. */
export function runStartedAt(runId: string): Date | undefined {
  return ULID.test(runId) ? new Date(decodeTime(runId)) : undefined;
}
