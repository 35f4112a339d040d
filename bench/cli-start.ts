/**
 * How long `drox-backup` takes to start, as a user runs it from a checkout: `--help`, and an
 * unchanged `run s3` (3,000 small objects already backed up, so the run lists both sides and copies
 * nothing) against moto. Each variant runs in turn, interleaved, `--runs` times; the figures are the
 * median and the fastest run (a shared machine makes single runs noisy). The backup bucket holds
 * the source's objects already (put there directly), so even the first run copies nothing:
 *
 *   bin     bin/drox-backup.cjs as it ships: the bundle of the sources, reused while they are unchanged
 *   tsx     the same sources through tsx (DROX_BACKUP_TSX=1), the way the bin ran them before
 *   before  the bin and sources of a git ref (--before REF), e.g. the commit before a change
 *   dist    node dist/runtime/cli.js, what the container runs, when `npm run build` has made it
 *
 * with each Node found: node_modules/.bin/node (22, production's) and `node` on PATH if it differs.
 *
 *   npm run bench:cli-start -- [--runs 7] [--before REF] [--objects 3000]
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  BACKUP_BUCKET,
  createBackupBucket,
  createHistoryTable,
  createTopicWithQueue,
} from "../test/jobs-fixtures";
import { useMoto } from "../test/support/moto";

const ROOT = path.resolve(__dirname, "..");
const SOURCE = "bench-cli-source";

function arg(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const RUNS = Number(arg("runs", "7"));
const OBJECTS = Number(arg("objects", "3000"));
const BEFORE = arg("before");

interface Variant {
  readonly name: string;
  readonly node: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly cwd: string;
}

/** The sources and bin of a git ref, with this checkout's node_modules linked in. */
function checkout(ref: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drox-before-"));
  const archive = execFileSync("git", ["archive", ref, "bin", "runtime", "package.json", "tsconfig.json"], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 ** 2,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

function nodes(): { label: string; path: string }[] {
  const local = path.join(ROOT, "node_modules", ".bin", "node");
  const version = (bin: string) => execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
  const found = [{ label: `Node ${version(local)}`, path: local }];
  try {
    const system = execFileSync("sh", ["-c", "command -v node"], {
      encoding: "utf8",
      env: {
        PATH: (process.env.PATH ?? "")
          .split(":")
          .filter((p) => !p.includes("node_modules"))
          .join(":"),
      },
    }).trim();
    if (system && version(system) !== version(local))
      found.push({ label: `Node ${version(system)}`, path: system });
  } catch {
    // only the project's Node
  }
  return found;
}

function variants(node: string, before: string | undefined): Variant[] {
  const bin = path.join(ROOT, "bin", "drox-backup.cjs");
  const list: Variant[] = [
    { name: "bin (bundle)", node, args: [bin], cwd: ROOT },
    { name: "tsx", node, args: [bin], env: { DROX_BACKUP_TSX: "1" }, cwd: ROOT },
  ];
  if (before)
    list.push({
      name: `before (${BEFORE})`,
      node,
      args: [path.join(before, "bin", "drox-backup.cjs")],
      cwd: before,
    });
  const dist = path.join(ROOT, "dist", "runtime", "cli.js");
  if (fs.existsSync(dist)) list.push({ name: "dist (compiled)", node, args: [dist], cwd: ROOT });
  return list;
}

/**
 * moto is one Python process: now and then, with a CLI's keep-alive connections and the machine
 * loaded, it stops answering and a run waits out its request timeouts. Such a run is not a start
 * time: it is stopped after STALL_MS, counted, and left out of the figures.
 */
const STALL_MS = 90_000;

function once(v: Variant, command: readonly string[], env: Record<string, string>): number | undefined {
  const started = process.hrtime.bigint();
  const run = spawnSync(v.node, [...v.args, ...command], {
    cwd: v.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: os.homedir(), ...env, ...v.env },
    encoding: "utf8",
    timeout: STALL_MS,
    // The CLI answers SIGTERM by recording what it has, which waits on the same stalled moto.
    killSignal: "SIGKILL",
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.signal === "SIGKILL" && seconds * 1000 >= STALL_MS) return undefined;
  if (run.status !== 0 && run.status !== 3)
    throw new Error(`${v.name} ${command.join(" ")} exited ${run.status}: ${run.stderr.slice(0, 500)}`);
  return seconds;
}

/** Runs every variant in turn, `RUNS` times, after one warm-up each (tsx's cache, the bundle). */
function compare(list: readonly Variant[], command: readonly string[], env: Record<string, string>): void {
  const times = new Map(list.map((v) => [v.name, [] as number[]]));
  const stalled = new Map(list.map((v) => [v.name, 0]));
  for (const v of list) once(v, command, env);
  for (let i = 0; i < RUNS; i += 1)
    for (const v of list) {
      const seconds = once(v, command, env);
      if (seconds === undefined) stalled.set(v.name, stalled.get(v.name)! + 1);
      else times.get(v.name)!.push(seconds);
    }
  const stats = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, min: sorted[0] ?? NaN };
  };
  const reference = stats(times.get("tsx")!);
  for (const v of list) {
    const s = stats(times.get(v.name)!);
    const left = stalled.get(v.name)!;
    process.stdout.write(
      `  ${v.name.padEnd(22)} median ${s.median.toFixed(3)} s  fastest ${s.min.toFixed(3)} s  ` +
        `(tsx / this: ${(reference.median / s.median).toFixed(2)}×)` +
        (left > 0 ? `  [${left} of ${RUNS} runs stalled on moto, left out]` : "") +
        "\n",
    );
  }
}

async function main(): Promise<void> {
  const before = BEFORE ? checkout(BEFORE) : undefined;
  const moto = await useMoto();
  const s3 = new S3Client({ forcePathStyle: true });
  const fixture = await createTopicWithQueue(moto);
  await createHistoryTable();
  await createBackupBucket(s3);
  await s3.send(new CreateBucketCommand({ Bucket: SOURCE }));
  // The same objects in the source and under its backup prefix: the runs measured find nothing to copy.
  for (let i = 0; i < OBJECTS; i += 25)
    await Promise.all(
      Array.from({ length: Math.min(25, OBJECTS - i) }, (_, j) => [
        s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: `data/${i + j}.txt`, Body: `object ${i + j}` })),
        s3.send(
          new PutObjectCommand({
            Bucket: BACKUP_BUCKET,
            Key: `${SOURCE}/data/${i + j}.txt`,
            Body: `object ${i + j}`,
          }),
        ),
      ]).flat(),
    );
  const env = { ...fixture.env, S3_SOURCE_BUCKETS: SOURCE, LOG_LEVEL: "warn" };
  process.stdout.write(
    `[bench] CLI start, ${RUNS} runs a variant (interleaved, after a warm-up), ${os.cpus().length} CPU(s), load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
  );
  try {
    for (const node of nodes()) {
      const list = variants(node.path, before);
      process.stdout.write(`${node.label}: drox-backup --help\n`);
      compare(list, ["--help"], env);
      // A first run stores the pairs of ETags and any state; the ones measured find nothing changed.
      once(list[0]!, ["run", "s3"], env);
      process.stdout.write(`${node.label}: drox-backup run s3, unchanged (${OBJECTS} objects)\n`);
      compare(list, ["run", "s3"], env);
    }
  } finally {
    if (before) fs.rmSync(before, { recursive: true, force: true });
  }
  process.stdout.write(
    `[bench] load after: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}\n`,
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
