/**
 * RDS backups: a manual DB snapshot per instance, tagged as ours, awaited until `available`
 * within JOB_TIMEOUT_SECONDS, verified (available and encrypted → verification.dbVerified), and
 * (with DR_REGION) copied to the DR region.
 */
import {
  CreateDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  waitUntilDBSnapshotAvailable,
  type DBSnapshot,
} from "@aws-sdk/client-rds";
import pLimit from "p-limit";
import type { BackupResult } from "../events";
import type { JobDeps } from "./context";
import { copyRdsSnapshot } from "./dr-copy";
import { awsErrorCode, finishRun, GIB, messageOf, startRun, type Outcome, type RunClock } from "./result";
import { snapshotTags } from "./tags";

export const RDS_CONCURRENCY = 4;

export interface RdsOptions {
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
}

/** RDS identifiers: letters, digits, single hyphens, starting with a letter, at most 255. */
export function snapshotIdentifier(instanceId: string, jobId: string): string {
  const base = `drox-${instanceId}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-");
  return `${base.slice(0, 200)}-${jobId.toLowerCase()}`;
}

function createFailure(error: unknown): Outcome {
  const code = awsErrorCode(error);
  if (code === "DBInstanceNotFoundFault" || code === "DBInstanceNotFound") {
    return {
      status: "FAILED",
      error: { message: "Database instance not found", code: "DBInstanceNotFound" },
    };
  }
  return { status: "FAILED", error: { message: messageOf(error), ...(code ? { code } : {}) } };
}

async function describe(deps: JobDeps, identifier: string): Promise<DBSnapshot | undefined> {
  const out = await deps.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: identifier }));
  return out.DBSnapshots?.[0];
}

async function backupOne(
  deps: JobDeps,
  instanceId: string,
  clock: RunClock,
  options: RdsOptions,
  deadline: number,
): Promise<BackupResult> {
  const identifier = snapshotIdentifier(instanceId, clock.jobId);
  const { settings } = deps;
  let created: DBSnapshot | undefined;
  try {
    const out = await deps.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: instanceId,
        DBSnapshotIdentifier: identifier,
        Tags: snapshotTags({ jobId: clock.jobId, source: instanceId, retentionDays: settings.retentionDays }),
      }),
    );
    created = out.DBSnapshot;
  } catch (error) {
    return finishRun(clock, "RDS", instanceId, deps.now(), createFailure(error));
  }
  try {
    await waitUntilDBSnapshotAvailable(
      {
        client: deps.rds,
        // One deadline for the whole run: instances queued behind others get what is left.
        maxWaitTime: Math.max(1, Math.floor((deadline - Date.now()) / 1000)),
        minDelay: options.minDelaySeconds ?? 15,
        maxDelay: Math.max(options.minDelaySeconds ?? 15, options.maxDelaySeconds ?? 120),
      },
      { DBSnapshotIdentifier: identifier },
    );
  } catch (error) {
    deps.logger.warn(
      { err: messageOf(error), snapshot: identifier },
      "DB snapshot waiter ended without success",
    );
  }
  const snapshot = (await describe(deps, identifier)) ?? created;
  const allocated = snapshot?.AllocatedStorage;
  const metrics = {
    snapshotId: identifier,
    ...(allocated === undefined ? {} : { sizeBytes: allocated * GIB }),
  };
  if (snapshot?.Status !== "available") {
    return finishRun(clock, "RDS", instanceId, deps.now(), {
      status: "FAILED",
      metrics,
      verification: { dbVerified: false },
      error: {
        message: `DB snapshot ${identifier} not available within ${settings.jobTimeoutSeconds} s (status ${snapshot?.Status ?? "unknown"})`,
        code: "SnapshotTimeout",
      },
    });
  }
  const encrypted = snapshot.Encrypted === true;
  let outcome: Outcome = encrypted
    ? { status: "SUCCEEDED", metrics, verification: { dbVerified: true } }
    : {
        status: "WARNING",
        metrics,
        verification: { dbVerified: false },
        error: { message: `DB snapshot ${identifier} is not encrypted`, code: "SnapshotNotEncrypted" },
      };
  if (settings.drRegion && deps.drRds && snapshot.DBSnapshotArn) {
    try {
      const copy = await copyRdsSnapshot(deps.drRds, snapshot.DBSnapshotArn, identifier, {
        sourceRegion: settings.region ?? (await deps.rds.config.region()),
        targetRegion: settings.drRegion,
        jobId: clock.jobId,
        source: instanceId,
        retentionDays: settings.drRetentionDays,
        kmsKeyId: settings.drKmsKeyId,
      });
      outcome = { ...outcome, metrics: { ...metrics, ...copy } };
    } catch (error) {
      outcome = {
        status: "WARNING",
        metrics,
        verification: outcome.verification,
        error: {
          message: `Cross-region copy to ${settings.drRegion} failed: ${messageOf(error)}`,
          code: awsErrorCode(error) ?? "CopyFailed",
        },
      };
    }
  }
  return finishRun(clock, "RDS", instanceId, deps.now(), outcome);
}

export async function backupRdsInstances(
  deps: JobDeps,
  instanceIds: readonly string[],
  options: RdsOptions = {},
): Promise<BackupResult[]> {
  const limit = pLimit(RDS_CONCURRENCY);
  const deadline = Date.now() + deps.settings.jobTimeoutSeconds * 1000;
  return Promise.all(
    instanceIds.map((id) => limit(() => backupOne(deps, id, startRun(deps.now()), options, deadline))),
  );
}
