/**
 * S3 sync against `aws s3 sync` and `rclone sync --checksum --fast-list`, all against the same moto
 * server: 10,000 small objects plus a few large ones into an empty backup, then a re-sync with
 * nothing changed, in BENCH_S3_ROUNDS rounds in which each tool goes first in turn (each into
 * fresh buckets), the medians printed: on a shared machine the load drifts by the minute, and one
 * run of each, always in the same order, measures the drift as much as the tools. The backup buckets encrypt
 * with SSE-KMS by default, as the deployed one does (components/store.ts), and moto's ETags for them
 * are made to look like S3's (test/support/kms-etags.ts). Prints wall times, the ratios, drox's
 * requests per kind on each run, and fails when the unchanged re-sync sends a copy or a per-object
 * HEAD.
 *
 *   npx tsx bench/s3-sync.ts            (npm run bench:s3)
 *
 * Env: BENCH_S3_OBJECTS (default 10000), BENCH_S3_LARGE (default 3, 20 MB each),
 * BENCH_S3_ROUNDS (default 3), S3_SYNC_CONCURRENCY (default 16). The AWS CLI v1 pinned in bench/requirements.txt is installed
 * into .venv on first run. rclone is Debian's package: found on PATH, else installed with
 * `apt-get install -y rclone` when the bench runs as root on a Debian/Ubuntu machine (a clean CI
 * runner), else left out with a note. moto is single-process Python: absolute figures measure the emulator
 * as much as the clients, on whatever cores the machine has.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { s3SyncConcurrencyFromEnv, syncBucket, type S3SyncResult } from "../runtime/jobs/s3-sync";
import { createKmsBucket, emulateKmsEtags } from "../test/support/kms-etags";
import { ensureVenv, useMoto, type Moto } from "../test/support/moto";

const ROOT = resolve(__dirname, "..");
const VENV = join(ROOT, ".venv");
const REQUIREMENTS = [join(ROOT, "test", "requirements.txt"), join(ROOT, "bench", "requirements.txt")];
const STAMP = join(VENV, ".bench-requirements.sha256");

const SMALL = Number(process.env.BENCH_S3_OBJECTS ?? 10_000);
const LARGE = Number(process.env.BENCH_S3_LARGE ?? 3);
const LARGE_BYTES = 20 * 1000 * 1000;
const SOURCE = "bench-source";
/** Each tool's backup bucket of each round: `<prefix><tool>-<round>`. */
const BACKUP_PREFIX = "bench-backup-";
const ROUNDS = Number(process.env.BENCH_S3_ROUNDS ?? 3);

/** Installs the pinned AWS CLI into .venv alongside moto (one resolve, so botocore stays shared). */
function ensureAwsCli(): string {
  ensureVenv();
  const wanted = createHash("sha256")
    .update(REQUIREMENTS.map((f) => readFileSync(f, "utf8")).join("\n"))
    .digest("hex");
  const aws = join(VENV, "bin", "aws");
  if (!existsSync(aws) || !existsSync(STAMP) || readFileSync(STAMP, "utf8") !== wanted) {
    process.stderr.write("[bench] installing the pinned AWS CLI into .venv…\n");
    execFileSync(
      join(VENV, "bin", "pip"),
      ["install", "--quiet", "--disable-pip-version-check", ...REQUIREMENTS.flatMap((f) => ["-r", f])],
      { stdio: "inherit" },
    );
    writeFileSync(STAMP, wanted);
  }
  return aws;
}

/** The rclone binary: on PATH, or Debian's package installed now; undefined when neither works. */
function ensureRclone(): string | undefined {
  const found = () => {
    try {
      return execFileSync("bash", ["-c", "command -v rclone"], { encoding: "utf8" }).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const onPath = found();
  if (onPath) return onPath;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    process.stderr.write(
      "[bench] rclone not found and cannot be installed here (apt-get as root): left out\n",
    );
    return undefined;
  }
  process.stderr.write("[bench] installing rclone (apt-get install -y rclone)…\n");
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    execFileSync("apt-get", ["install", "-y", "-qq", "rclone"], { stdio: "inherit" });
  } catch {
    process.stderr.write("[bench] rclone could not be installed: left out\n");
  }
  return found();
}

/** Requests drox sends, per command, counted at the client. */
function countRequests(s3: S3Client): { counts: () => Map<string, number>; reset: () => void } {
  const counts = new Map<string, number>();
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? "unknown").replace(/Command$/, "");
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "benchRequestCounter" },
  );
  return { counts: () => new Map(counts), reset: () => counts.clear() };
}

const copiesIn = (counts: Map<string, number>) =>
  (counts.get("CopyObject") ?? 0) + (counts.get("UploadPartCopy") ?? 0);

function requestLine(counts: Map<string, number>): string {
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
}

async function seed(s3: S3Client): Promise<number> {
  await s3.send(new CreateBucketCommand({ Bucket: SOURCE }));
  const limit = pLimit(32);
  let bytes = 0;
  const puts: Promise<unknown>[] = [];
  for (let i = 0; i < SMALL; i++) {
    const body = `object ${i} `.repeat(1 + (i % 50));
    bytes += body.length;
    const key = `data/${String(i % 100).padStart(2, "0")}/obj-${String(i).padStart(6, "0")}.txt`;
    puts.push(limit(() => s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: key, Body: body }))));
  }
  for (let i = 0; i < LARGE; i++) {
    const body = Buffer.alloc(LARGE_BYTES, i + 1);
    bytes += body.length;
    puts.push(
      limit(() => s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: `large/blob-${i}.bin`, Body: body }))),
    );
  }
  await Promise.all(puts);
  return bytes;
}

interface Timed<T> {
  readonly seconds: number;
  /** CPU seconds (user + system) the client spent: this process, or the CLI's process tree. */
  readonly cpu: number;
  readonly value: T;
}

async function timed<T>(fn: () => Promise<T>): Promise<Timed<T>> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: (used.user + used.system) / 1e6,
    value,
  };
}

/** bash's `times` prints the children's user and system time on its second line. */
function parseChildTimes(output: string): number {
  const line = output.trim().split("\n").at(-1) ?? "";
  return [...line.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}

async function awsS3Sync(aws: string, moto: Moto, destination: string): Promise<Timed<void>> {
  const args = [
    "s3",
    "sync",
    `s3://${SOURCE}`,
    `s3://${destination}/${SOURCE}/`,
    "--endpoint-url",
    moto.endpoint,
    "--only-show-errors",
  ];
  return timedProcess("aws s3 sync", aws, args, { ...process.env, ...moto.env });
}

/**
 * rclone with the flags its docs give for S3 at scale: --checksum compares size and MD5 (ETag)
 * instead of modification times, --fast-list lists recursively in fewer requests
 * (https://rclone.org/s3/#reducing-costs). The remote is configured through RCLONE_CONFIG_* variables.
 */
async function rcloneSync(rclone: string, moto: Moto, destination: string): Promise<Timed<void>> {
  // Without the AWS SDK's own variables: rclone's SDK would read them too (AWS_CA_BUNDLE, profiles).
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_"))),
    RCLONE_CONFIG_MOTO_TYPE: "s3",
    RCLONE_CONFIG_MOTO_PROVIDER: "Other",
    RCLONE_CONFIG_MOTO_ENDPOINT: moto.endpoint,
    RCLONE_CONFIG_MOTO_ACCESS_KEY_ID: moto.env.AWS_ACCESS_KEY_ID ?? "test",
    RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY: moto.env.AWS_SECRET_ACCESS_KEY ?? "test",
    RCLONE_CONFIG_MOTO_REGION: moto.env.AWS_REGION ?? "us-east-1",
    RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE: "true",
  };
  const args = ["sync", "--checksum", "--fast-list", `moto:${SOURCE}`, `moto:${destination}/${SOURCE}`];
  return timedProcess("rclone sync", rclone, args, env);
}

async function timedProcess(
  name: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<Timed<void>> {
  const start = process.hrtime.bigint();
  const times = await new Promise<string>((resolveRun, reject) => {
    // Through bash, whose `times` then reports the CLI's CPU use.
    const child = spawn("bash", ["-c", '"$0" "$@" || exit $?; times', command, ...args], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolveRun(out) : reject(new Error(`${name} exited with ${code ?? "a signal"}: ${out}`)),
    );
  });
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: parseChildTimes(times),
    value: undefined,
  };
}

function line(label: string, runs: readonly Timed<unknown>[], extra = ""): void {
  const all = runs.length > 1 ? `  [${runs.map((r) => r.seconds.toFixed(2)).join(", ")}]` : "";
  process.stdout.write(
    `${label.padEnd(36)} ${median(runs, "seconds").toFixed(2).padStart(7)} s wall ${median(runs, "cpu").toFixed(1).padStart(6)} s client CPU${extra}${all}\n`,
  );
}

function median(runs: readonly Timed<unknown>[], field: "seconds" | "cpu"): number {
  const values = runs.map((r) => r[field]).sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

type Tool = "drox" | "aws" | "rclone";

async function main(): Promise<void> {
  const aws = ensureAwsCli();
  const rclone = ensureRclone();
  const moto = await useMoto();
  const concurrency = s3SyncConcurrencyFromEnv();
  const s3 = new S3Client({ forcePathStyle: true });

  const setup = await timed(() => seed(s3));
  const total = SMALL + LARGE;
  process.stdout.write(
    `S3 sync benchmark: ${SMALL} small + ${LARGE} × ${LARGE_BYTES / 1e6} MB objects ` +
      `(${(setup.value / 1e6).toFixed(1)} MB) on moto, ${cpus().length} CPU(s), concurrency ${concurrency}, ` +
      `${ROUNDS} round(s), medians\n`,
  );
  line(`setup (PutObject ×${total})`, [setup]);

  const check = (r: S3SyncResult, copied: number) => {
    if (r.filesTotal !== total || r.filesCopied !== copied || r.filesFailed !== 0) {
      throw new Error(
        `unexpected sync result: ${JSON.stringify({ ...r, failures: r.failures.slice(0, 3) })}`,
      );
    }
  };
  const tools: Tool[] = rclone ? ["drox", "aws", "rclone"] : ["drox", "aws"];
  const firsts = new Map<Tool, Timed<unknown>[]>(tools.map((t) => [t, []]));
  const agains = new Map<Tool, Timed<unknown>[]>(tools.map((t) => [t, []]));
  let first = new Map<string, number>();
  let again = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    // Each tool goes first in turn: on a shared machine the load drifts within a round.
    const order = tools.map((_, i) => tools[(i + round) % tools.length]!);
    for (const tool of order) {
      const bucket = `${BACKUP_PREFIX}${tool}-${round}`;
      await createKmsBucket(s3, bucket);
      if (tool === "drox") {
        const client = new S3Client({ forcePathStyle: true });
        emulateKmsEtags(client, [bucket]);
        const counter = countRequests(client);
        const sync = () =>
          syncBucket({ s3: client, sourceBucket: SOURCE, backupBucket: bucket, concurrency });
        const oursFirst = await timed(sync);
        check(oursFirst.value, total);
        first = counter.counts();
        counter.reset();
        const oursAgain = await timed(sync);
        check(oursAgain.value, 0);
        again = counter.counts();
        firsts.get(tool)!.push(oursFirst);
        agains.get(tool)!.push(oursAgain);
      } else {
        const run = () => (tool === "aws" ? awsS3Sync(aws, moto, bucket) : rcloneSync(rclone!, moto, bucket));
        firsts.get(tool)!.push(await run());
        agains.get(tool)!.push(await run());
      }
    }
  }

  const seconds = (m: Map<Tool, Timed<unknown>[]>, tool: Tool) => median(m.get(tool) ?? [], "seconds");
  process.stdout.write("\n");
  line("drox syncBucket, empty backup", firsts.get("drox")!, `  (${copiesIn(first)} copy requests)`);
  line("aws s3 sync, empty backup", firsts.get("aws")!);
  if (rclone) line("rclone sync, empty backup", firsts.get("rclone")!);
  line("drox syncBucket, nothing changed", agains.get("drox")!, `  (${copiesIn(again)} copy requests)`);
  line("aws s3 sync, nothing changed", agains.get("aws")!);
  if (rclone) line("rclone sync, nothing changed", agains.get("rclone")!);
  const heads = again.get("HeadObject") ?? 0;
  const ratio = (tool: Tool) =>
    `first run ${(seconds(firsts, tool) / seconds(firsts, "drox")).toFixed(2)}×, ` +
    `re-sync ${(seconds(agains, tool) / seconds(agains, "drox")).toFixed(2)}×`;
  process.stdout.write(
    `\ndrox requests, empty backup:    ${requestLine(first)}\n` +
      `drox requests, nothing changed: ${requestLine(again)}\n` +
      `\nratio aws/drox: ${ratio("aws")} (> 1 means drox is faster)\n` +
      (rclone ? `ratio rclone/drox: ${ratio("rclone")}\n` : "") +
      `in the unchanged re-sync: ${copiesIn(again)} copy requests, ${heads} HEAD requests (both must be 0)\n`,
  );
  if (copiesIn(again) !== 0 || heads !== 0) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
