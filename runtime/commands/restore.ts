/**
 * `drox-backup restore ebs|rds|s3`: a backup brought back as a new volume, a new DB instance, or
 * objects copied into a bucket — never attached, never replacing anything. One line per restore on
 * stdout (`--json` for the event), waits shown on stderr, exit 0 / 3 / 1 for SUCCEEDED / WARNING
 * (still being created, objects refused) / FAILED, and 2 when the restore was refused before
 * anything happened (snapshot not found, in progress, not drox-backup's, target exists).
 */
import { Command, InvalidArgumentError } from "commander";
import type { Tag } from "@aws-sdk/client-ec2";
import type { RestoreEvent } from "../contract/events";
import { formatDuration } from "../contract/time";
import type { RestoreDeps, S3RestoreItem, S3RestoreSummary } from "../restore";
import { exitCodeFor, type CliIo } from "./io";
import { createProgress } from "./progress";

/** The restore engine, loaded when a restore runs: the AWS SDK clients are most of the CLI's start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
const engine = () => require("../restore") as typeof import("../restore/index.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs (CommonJS, see cli.ts)
const awsClients = () => require("../aws/clients") as typeof import("../aws/clients.js");

/** Default waits: a volume is usable in minutes; a DB restore takes longer the bigger it is. */
export const RESTORE_TIMEOUTS = { ebs: 1_800, rds: 7_200, s3: 21_600 } as const;

export function describeRestore(e: RestoreEvent): string {
  const parts = [e.status.padEnd(9), e.type.padEnd(3), e.target, `from ${e.from}`];
  if (e.at) parts.push(`as of ${e.at}`);
  if (e.region) parts.push(`region ${e.region}`);
  const m = e.metrics;
  if (m?.endpoint) parts.push(`endpoint ${m.endpoint}`);
  if (m?.filesTotal !== undefined) {
    parts.push(`files ${m.filesCopied ?? 0}/${m.filesTotal}`);
    if (m.filesSkipped) parts.push(`${m.filesSkipped} unchanged`);
    if (m.filesRefused) parts.push(`${m.filesRefused} refused`);
    if (m.filesFailed) parts.push(`${m.filesFailed} failed`);
  }
  parts.push(formatDuration(e.durationSeconds), `restore ${e.restoreId}`);
  const line = parts.join("  ");
  return e.error ? `${line}\n    ${e.error.message}` : line;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400)
    throw new InvalidArgumentError("must be 1 to 86400 seconds");
  return n;
}

function tag(value: string, previous: Tag[] = []): Tag[] {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`must be key=value, got "${value}"`);
  return [...previous, { Key: value.slice(0, at), Value: value.slice(at + 1) }];
}

function instant(value: string): Date {
  // An explicit offset: a bare local time would be read in whatever zone this machine is in.
  const ms = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new InvalidArgumentError(
      "must be an ISO 8601 date-time with an offset, e.g. 2024-11-04T02:00:00+09:00",
    );
  return new Date(ms);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Elapsed time against the deadline while a volume or instance is being created. */
/** Runs `work` while showing how long it has waited: a bar on a terminal, a line every 30 s otherwise. */
async function withWaitProgress<T>(
  io: CliIo,
  label: string,
  timeoutSeconds: number,
  work: () => Promise<T>,
): Promise<T> {
  const stop = waitProgress(io, label, timeoutSeconds);
  try {
    return await work();
  } finally {
    stop();
  }
}

function waitProgress(io: CliIo, label: string, timeoutSeconds: number): () => void {
  const started = Date.now();
  const elapsed = () => Math.round((Date.now() - started) / 1000);
  if (io.isTTY) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a bar is drawn (CommonJS, see cli.ts)
    const cliProgress = require("cli-progress") as typeof import("cli-progress");
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} s`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(timeoutSeconds, 0);
    const timer = setInterval(() => bar.update(Math.min(elapsed(), timeoutSeconds)), 1_000);
    return () => {
      clearInterval(timer);
      bar.stop();
    };
  }
  io.err(label);
  const timer = setInterval(() => io.err(`${label}: ${formatDuration(elapsed())} so far`), 30_000);
  return () => clearInterval(timer);
}

/** Runs one restore with Ctrl-C / SIGTERM ending its wait, and prints its outcome. */
async function runRestore(
  io: CliIo,
  json: boolean | undefined,
  work: (signal: AbortSignal) => Promise<RestoreEvent>,
): Promise<void> {
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    io.err(
      `${signal} received: no longer waiting; what was started goes on in AWS and is recorded as it stands`,
    );
    abort.abort(new Error(`drox-backup received ${signal}`));
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  let event: RestoreEvent;
  try {
    event = await work(abort.signal);
  } catch (error) {
    // The restore happened; only telling Slack/Notion/history failed: show it, then fail with 4.
    if (error instanceof engine().RestoreDeliveryError)
      io.out(json ? JSON.stringify(error.event, null, 2) : describeRestore(error.event));
    throw error;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
  io.out(json ? JSON.stringify(event, null, 2) : describeRestore(event));
  io.exitCode = exitCodeFor([event.status]);
}

async function depsFor(io: CliIo, region: string | undefined): Promise<RestoreDeps> {
  const restore = engine();
  const deps = {
    ...restore.createRestoreDeps({ region }, {}, io.env),
    requestedBy: await restore.identifyOperator(awsClients().createStsClient(), io.env),
  };
  if (!deps.history && !deps.publisher)
    io.err(
      "note: HISTORY_TABLE and EVENTS_TOPIC_ARN are not set, so this restore is neither recorded nor announced",
    );
  return deps;
}

function itemLine(item: S3RestoreItem): string {
  const version = item.versionId ? `  version ${item.versionId}` : "";
  switch (item.action) {
    case "copy":
      return `copy       ${item.key}  ${item.size} B${version}`;
    case "unchanged":
      return `unchanged  ${item.key}`;
    case "refused":
      return `refused    ${item.key}  (exists at the destination with other content; --overwrite replaces it)`;
    case "failed":
      return `failed     ${item.key}  ${item.message ?? ""}`;
  }
}

function dryRunSummary(s: S3RestoreSummary): string {
  return [
    `dry run: ${s.selected - s.unchanged - s.refused} object(s) would be copied, ${s.bytes} bytes (${mib(s.bytes)})`,
    `${s.unchanged} already identical`,
    `${s.refused} refused without --overwrite`,
    `${s.deleted} deleted by then`,
    `${s.later} created only later`,
  ].join("; ");
}

export function registerRestoreCommand(program: Command, io: CliIo): void {
  const restore = program
    .command("restore")
    .description(
      "restore a backup as a new volume, a new DB instance, or objects in a bucket; replaces nothing",
    );

  restore
    .command("ebs")
    .description(
      "create a new volume from a snapshot (encrypted as the snapshot) and wait until it is available",
    )
    .requiredOption("--snapshot <id>", "a snapshot id, or `latest` with --volume")
    .option(
      "--volume <vol-id>",
      "with --snapshot latest: the volume whose newest drox-backup snapshot to use",
    )
    .option("--az <zone>", "availability zone (default: the source volume's, else the region's first)")
    .option("--type <volume-type>", "EBS volume type", "gp3")
    .option("--tag <key=value>", "tag the new volume (repeatable)", tag)
    .option("--region <region>", "restore in this region from the DR copies")
    .option("--force", "allow a snapshot drox-backup did not make")
    .option("--timeout <seconds>", "how long to wait for `available`", seconds, RESTORE_TIMEOUTS.ebs)
    .option("--json", "print the restore event as JSON")
    .action(
      async (opts: {
        snapshot: string;
        volume?: string;
        az?: string;
        type: string;
        tag?: Tag[];
        region?: string;
        force?: boolean;
        timeout: number;
        json?: boolean;
      }) => {
        const deps = await depsFor(io, opts.region);
        await runRestore(io, opts.json, async (signal) => {
          return withWaitProgress(
            io,
            `restoring ${opts.snapshot}${opts.volume ? ` of ${opts.volume}` : ""} to a new volume`,
            opts.timeout,
            async () => {
              const result = await (
                await engine()
              ).restoreEbs(deps, {
                snapshot: opts.snapshot,
                volume: opts.volume,
                availabilityZone: opts.az,
                volumeType: opts.type,
                tags: opts.tag,
                force: opts.force,
                timeoutSeconds: opts.timeout,
                signal,
              });
              return result.event;
            },
          );
        });
      },
    );

  restore
    .command("rds")
    .description("create a new DB instance from a DB snapshot and wait until it is available")
    .requiredOption("--snapshot <id>", "a DB snapshot identifier, or `latest` with --instance")
    .option(
      "--instance <id>",
      "with --snapshot latest: the instance whose newest drox-backup snapshot to use",
    )
    .requiredOption("--to <id>", "identifier of the new instance (must not exist)")
    .option("--class <class>", "instance class (default: the snapshot's)")
    .option("--subnet-group <name>", "DB subnet group (default: the default VPC's)")
    .option("--security-group <sg-id...>", "VPC security groups")
    .option("--region <region>", "restore in this region from the DR copies")
    .option("--force", "allow a snapshot drox-backup did not make")
    .option("--timeout <seconds>", "how long to wait for `available`", seconds, RESTORE_TIMEOUTS.rds)
    .option("--json", "print the restore event as JSON")
    .action(
      async (opts: {
        snapshot: string;
        instance?: string;
        to: string;
        class?: string;
        subnetGroup?: string;
        securityGroup?: string[];
        region?: string;
        force?: boolean;
        timeout: number;
        json?: boolean;
      }) => {
        const deps = await depsFor(io, opts.region);
        await runRestore(io, opts.json, async (signal) => {
          return withWaitProgress(
            io,
            `restoring ${opts.snapshot} to DB instance ${opts.to}`,
            opts.timeout,
            async () => {
              const result = await (
                await engine()
              ).restoreRds(deps, {
                snapshot: opts.snapshot,
                instance: opts.instance,
                to: opts.to,
                instanceClass: opts.class,
                subnetGroup: opts.subnetGroup,
                securityGroups: opts.securityGroup,
                force: opts.force,
                timeoutSeconds: opts.timeout,
                signal,
              });
              return result.event;
            },
          );
        });
      },
    );

  restore
    .command("s3")
    .description("copy a bucket's backed-up objects back server-side, optionally as they were at a time")
    .requiredOption("--source <bucket>", "the backed-up bucket (its backup is BACKUP_BUCKET/<bucket>/)")
    .option("--prefix <prefix>", "only keys starting with this")
    .option("--at <time>", "each object as it was at this time (ISO 8601 with offset)", instant)
    .requiredOption("--to <bucket[/prefix]>", "where the objects go, keeping their keys under the prefix")
    .option("--dry-run", "list what would be copied and its size; copy nothing")
    .option("--overwrite", "replace objects that exist at the destination with other content")
    .option("--timeout <seconds>", "stop copying after this long", seconds, RESTORE_TIMEOUTS.s3)
    .option("--json", "print the restore event (dry run: the plan) as JSON")
    .action(
      async (opts: {
        source: string;
        prefix?: string;
        at?: Date;
        to: string;
        dryRun?: boolean;
        overwrite?: boolean;
        timeout: number;
        json?: boolean;
      }) => {
        const deps = opts.dryRun
          ? engine().createRestoreDeps({}, { history: undefined, publisher: undefined }, io.env)
          : await depsFor(io, undefined);
        const items: S3RestoreItem[] = [];
        const onItem = (item: S3RestoreItem) => {
          if (opts.json) {
            if (opts.dryRun) items.push(item);
          } else if (opts.dryRun || item.action === "refused" || item.action === "failed") {
            io.out(itemLine(item));
          }
        };
        if (opts.dryRun) {
          const { summary } = await (
            await engine()
          ).restoreS3(deps, {
            source: opts.source,
            prefix: opts.prefix,
            at: opts.at,
            to: opts.to,
            dryRun: true,
            overwrite: opts.overwrite,
            timeoutSeconds: opts.timeout,
            onItem,
          });
          io.out(opts.json ? JSON.stringify({ summary, items }, null, 2) : dryRunSummary(summary));
          return;
        }
        await runRestore(io, opts.json, async (signal) => {
          const progress = createProgress(io);
          try {
            const result = await (
              await engine()
            ).restoreS3(deps, {
              source: opts.source,
              prefix: opts.prefix,
              at: opts.at,
              to: opts.to,
              overwrite: opts.overwrite,
              timeoutSeconds: opts.timeout,
              signal,
              onItem,
              onProgress: progress.onProgress,
            });
            // restoreS3 returns an event for every restore that is not a dry run.
            if (!result.event) throw new Error("restore s3 returned no event");
            return result.event;
          } finally {
            progress.stop();
          }
        });
      },
    );
}
