/**
 * EBS benchmark: 200 volumes snapshotted in one run against moto, with the job's batched design
 * (bounded-concurrency CreateSnapshot, one waiter over all snapshots) against a baseline that
 * snapshots and waits one volume at a time. Prints wall time, API calls by operation, HTTP
 * attempts (retries included), throttling errors seen and failed results, and the ratios.
 *
 *   npx tsx bench/ebs-snapshots.ts [volumes]        (npm run bench:ebs)
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  waitUntilSnapshotCompleted,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import { Writable } from "node:stream";
import pLimit from "p-limit";
import { createEc2Client } from "../runtime/aws/clients";
import { readJobSettings } from "../runtime/settings/jobs";
import type { JobDeps } from "../runtime/jobs/context";
import { backupEbsVolumes } from "../runtime/jobs/ebs";
import { createLogger } from "../runtime/logging/logger";
import { useMoto } from "../test/support/moto";

const VOLUMES = Number(process.argv[2] ?? 200);
const THROTTLING = new Set([
  "RequestLimitExceeded",
  "Throttling",
  "ThrottlingException",
  "SnapshotCreationPerVolumeRateExceeded",
]);

interface Counter {
  commands: Map<string, number>;
  attempts: number;
  throttled: number;
}

/** Counts commands (initialize step, once per call) and HTTP attempts (finalize step, per retry). */
function instrument(client: EC2Client): Counter {
  const counter: Counter = { commands: new Map(), attempts: 0, throttled: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      counter.commands.set(name, (counter.commands.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "benchCountCommands" },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      counter.attempts += 1;
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && THROTTLING.has(error.name)) counter.throttled += 1;
        throw error;
      }
    },
    { step: "deserialize", name: "benchCountAttempts" },
  );
  return counter;
}

function total(counter: Counter): number {
  return [...counter.commands.values()].reduce((a, b) => a + b, 0);
}

async function createVolumes(ec2: EC2Client, n: number): Promise<string[]> {
  const limit = pLimit(16);
  return Promise.all(
    Array.from({ length: n }, () =>
      limit(async () => {
        const out = await ec2.send(
          new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, Encrypted: true }),
        );
        return out.VolumeId!;
      }),
    ),
  );
}

async function main(): Promise<void> {
  const moto = await useMoto();
  const setup = createEc2Client();
  const silent = createLogger({
    level: "silent",
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });

  // Baseline: one volume at a time, each snapshot awaited by its own waiter.
  await moto.reset();
  const baselineVolumes = await createVolumes(setup, VOLUMES);
  const baselineClient = createEc2Client();
  const baseline = instrument(baselineClient);
  let baselineFailed = 0;
  const t0 = performance.now();
  for (const volumeId of baselineVolumes) {
    try {
      const out = await baselineClient.send(new CreateSnapshotCommand({ VolumeId: volumeId }));
      await waitUntilSnapshotCompleted(
        { client: baselineClient, maxWaitTime: 600, minDelay: 1, maxDelay: 5 },
        { SnapshotIds: [out.SnapshotId!] },
      );
    } catch {
      baselineFailed += 1;
    }
  }
  const baselineMs = performance.now() - t0;

  // The job: what `drox-backup run ebs` does for these volumes.
  await moto.reset();
  const volumes = await createVolumes(setup, VOLUMES);
  const jobClient = createEc2Client();
  const job = instrument(jobClient);
  const deps = {
    settings: readJobSettings({ ...process.env, DR_REGION: "" }),
    ec2: jobClient,
    logger: silent,
    now: () => new Date(),
  } as unknown as JobDeps;
  const t1 = performance.now();
  const results = await backupEbsVolumes(deps, volumes, { minDelaySeconds: 1, maxDelaySeconds: 5 });
  const jobMs = performance.now() - t1;
  const jobFailed = results.filter((r) => r.status !== "SUCCEEDED").length;

  const row = (name: string, ms: number, c: Counter, failed: number) =>
    `${name.padEnd(28)} ${(ms / 1000).toFixed(2).padStart(7)} s  ${String(total(c)).padStart(5)} calls  ${String(c.attempts).padStart(5)} attempts  ${String(c.throttled).padStart(3)} throttled  ${String(failed).padStart(3)} failed  ${JSON.stringify(Object.fromEntries(c.commands))}`;
  console.log(`EBS snapshots of ${VOLUMES} volumes against moto (${moto.endpoint})`);
  console.log(row("baseline: one at a time", baselineMs, baseline, baselineFailed));
  console.log(row("drox-backup run ebs (batched)", jobMs, job, jobFailed));
  console.log(
    `ratio baseline/job: wall time ${(baselineMs / jobMs).toFixed(2)}x, API calls ${(total(baseline) / total(job)).toFixed(2)}x`,
  );
  if (jobFailed > 0 || job.throttled > 0) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  // The moto server is a child process that would keep the event loop alive.
  .finally(() => process.exit());
