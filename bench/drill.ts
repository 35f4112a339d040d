/**
 * Restore drills on the local emulator: (1) the S3 read-back verification rate — every sampled
 * object read in full from the backup bucket and from the source, SHA-256 over both streams — in
 * objects/s and MB/s, against `aws s3 cp --recursive` reading the same backup objects in the same
 * script; (2) the API calls an EBS drill of N volumes costs, by operation.
 *
 *   npx tsx bench/drill.ts            (npm run bench:drill)
 *
 * Env: BENCH_DRILL_OBJECTS (default 1000), BENCH_DRILL_OBJECT_BYTES (default 65536),
 * BENCH_DRILL_VOLUMES (default 20), BENCH_AWS (default `aws` on PATH). moto is single-process
 * Python: absolute figures measure the emulator as much as the clients.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { CreateVolumeCommand, EC2Client } from "@aws-sdk/client-ec2";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pLimit from "p-limit";
import type { Drill } from "../runtime/contract/events";
import { runDrill } from "../runtime/drills";
import { createDrillDeps } from "../runtime/drills/context";
import { readDrillSettings } from "../runtime/drills/settings";
import { historyTableDefinition } from "../runtime/history/dynamodb";
import { runBackups } from "../runtime/jobs";
import { createLogger } from "../runtime/logging/logger";
import { useMoto, type Moto } from "../test/support/moto";

const OBJECTS = Number(process.env.BENCH_DRILL_OBJECTS ?? 1_000);
const OBJECT_BYTES = Number(process.env.BENCH_DRILL_OBJECT_BYTES ?? 64 * 1024);
const VOLUMES = Number(process.env.BENCH_DRILL_VOLUMES ?? 20);
const AWS = process.env.BENCH_AWS ?? "aws";
const SOURCE = "bench-drill-source";
const BACKUP = "bench-drill-backup";
const TABLE = "bench-drill-history";

const silent = createLogger({ level: "silent", destination: new Writable({ write: (_c, _e, d) => d() }) });

function counting<T extends { middlewareStack: EC2Client["middlewareStack"] }>(
  client: T,
): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? "?").replace(/Command$/, "");
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "benchCallCounter" },
  );
  return counts;
}

function awsCp(moto: Moto, destination: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(
      AWS,
      ["s3", "cp", "--recursive", "--only-show-errors", `s3://${BACKUP}/${SOURCE}/`, destination],
      {
        env: { ...process.env, ...moto.env },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - started) / 1e9)
        : reject(new Error(`aws s3 cp exited ${code ?? "by a signal"}: ${err}`)),
    );
  });
}

async function main(): Promise<void> {
  const moto = await useMoto();
  Object.assign(process.env, moto.env, { HISTORY_TABLE: TABLE, BACKUP_BUCKET: BACKUP, EVENTS_TOPIC_ARN: "" });
  await new DynamoDBClient({}).send(new CreateTableCommand(historyTableDefinition(TABLE)));
  const s3 = new S3Client({ forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: SOURCE }));
  await s3.send(new CreateBucketCommand({ Bucket: BACKUP }));
  const limit = pLimit(16);
  await Promise.all(
    Array.from({ length: OBJECTS }, (_, i) =>
      limit(async () => {
        const body = randomBytes(OBJECT_BYTES);
        const key = `data/${String(i).padStart(6, "0")}.bin`;
        await s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: key, Body: body }));
        await s3.send(new PutObjectCommand({ Bucket: BACKUP, Key: `${SOURCE}/${key}`, Body: body }));
      }),
    ),
  );
  const published: Drill[] = [];
  const base = createDrillDeps(
    {
      logger: silent,
      publisher: {
        publish: async (event) => {
          published.push(event as Drill);
          return "bench";
        },
      },
      drillSettings: { ...readDrillSettings(), s3Sample: OBJECTS, s3SampleMax: OBJECTS },
    },
    process.env,
  );
  const totalMb = (OBJECTS * OBJECT_BYTES) / 1e6;
  process.stdout.write(
    `S3 read-back: ${OBJECTS} objects × ${OBJECT_BYTES} bytes (${totalMb.toFixed(1)} MB) on moto\n`,
  );
  const t0 = process.hrtime.bigint();
  const drill = await runDrill("S3", { resources: [SOURCE] }, base);
  const ours = Number(process.hrtime.bigint() - t0) / 1e9;
  if (drill.status !== "SUCCEEDED")
    throw new Error(`drill ${drill.status}: ${JSON.stringify(drill.resources[0]?.findings.slice(0, 3))}`);
  const dir = mkdtempSync(join(tmpdir(), "drox-bench-drill-"));
  let cli: number;
  try {
    cli = await awsCp(moto, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (label: string, seconds: number, factor: number) =>
    process.stdout.write(
      `  ${label.padEnd(52)} ${seconds.toFixed(2).padStart(7)} s  ${(OBJECTS / seconds).toFixed(0).padStart(6)} objects/s  ${((totalMb * factor) / seconds).toFixed(1).padStart(6)} MB/s\n`,
    );
  row("drox drill s3 (backup + source read, sha256 both)", ours, 2);
  row("aws s3 cp --recursive (backup only, to disk)", cli, 1);
  process.stdout.write(
    `  verified backup objects per second, drox / aws cp: ${(cli / ours).toFixed(2)}×\n\n`,
  );

  // API calls an EBS drill of N volumes costs.
  const ec2Setup = new EC2Client({});
  const volumes: string[] = [];
  for (let i = 0; i < VOLUMES; i++) {
    const out = await ec2Setup.send(
      new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 8, Encrypted: true }),
    );
    volumes.push(out.VolumeId ?? "");
  }
  await runBackups(
    "EBS",
    { resources: volumes, skipRetention: true, ebs: { minDelaySeconds: 1, maxDelaySeconds: 1 } },
    { ...base, publisher: base.publisher },
  );
  const ec2 = new EC2Client({});
  const counts = counting(ec2);
  const e0 = process.hrtime.bigint();
  const ebs = await runDrill(
    "EBS",
    { resources: volumes, waits: { minDelaySeconds: 1, maxDelaySeconds: 1 } },
    { ...base, ec2 },
  );
  const ebsSeconds = Number(process.hrtime.bigint() - e0) / 1e9;
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    `EBS drill of ${VOLUMES} volumes: ${ebs.status}, ${ebsSeconds.toFixed(2)} s on moto, ${total} EC2 calls (${(total / VOLUMES).toFixed(1)} per volume)\n`,
  );
  for (const [name, n] of [...counts.entries()].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`  ${name.padEnd(28)} ${String(n).padStart(5)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
