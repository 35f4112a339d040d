/**
 * S3 sync progress for the CLI: a cli-progress bar when attached to a terminal, plain log lines
 * (at most one every few seconds per bucket) otherwise, so ECS logs stay readable.
 */
import type { S3ProgressEvent } from "../jobs";
import type { CliIo } from "./io";

export interface ProgressSink {
  readonly onProgress: (p: S3ProgressEvent) => void;
  readonly stop: () => void;
}

const LOG_INTERVAL_MS = 5_000;

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

export interface ProgressOptions {
  readonly now?: () => number;
  /** Where the bar is drawn. @default process.stderr */
  readonly stream?: NodeJS.WritableStream;
}

export function createProgress(io: CliIo, options: ProgressOptions = {}): ProgressSink {
  const now = options.now ?? Date.now;
  if (io.isTTY) {
    // The bar's library loads when a bar is drawn, not with the CLI (CommonJS, see cli.ts).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the command runs
    const cliProgress = require("cli-progress") as typeof import("cli-progress");
    const bar = new cliProgress.SingleBar(
      {
        ...(options.stream ? { stream: options.stream } : {}),
        format: "s3 {bucket} [{bar}] {value}/{total} objects | {copiedMiB} copied | {failed} failed",
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let current: string | undefined;
    return {
      onProgress(p) {
        const done = p.copied + p.skipped + p.failed;
        const total = p.total ?? Math.max(p.listed, done);
        const payload = { bucket: p.bucket, copiedMiB: mib(p.bytesCopied), failed: p.failed };
        if (current !== p.bucket) {
          if (current !== undefined) bar.stop();
          current = p.bucket;
          bar.start(total, done, payload);
        } else {
          bar.setTotal(total);
          bar.update(done, payload);
        }
      },
      stop() {
        if (current !== undefined) bar.stop();
      },
    };
  }
  const last = new Map<string, number>();
  return {
    onProgress(p) {
      const done = p.copied + p.skipped + p.failed;
      const finished = p.total !== undefined && done >= p.total;
      const previous = last.get(p.bucket);
      if (!finished && previous !== undefined && now() - previous < LOG_INTERVAL_MS) return;
      last.set(p.bucket, now());
      io.err(
        `s3 ${p.bucket}: ${done}/${p.total ?? `${p.listed}+`} objects, ${p.copied} copied, ${p.skipped} unchanged, ${p.failed} failed, ${mib(p.bytesCopied)}`,
      );
    },
    stop() {
      // nothing to tear down
    },
  };
}
