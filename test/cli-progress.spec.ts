import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { CliIo } from "../runtime/commands/io";
import { createProgress } from "../runtime/commands/progress";
import type { S3ProgressEvent } from "../runtime/jobs";

function io(isTTY: boolean, lines: string[]): CliIo {
  return { out: () => undefined, err: (l) => lines.push(l), isTTY, env: {}, exitCode: 0 };
}

function progress(copied: number, total?: number): S3ProgressEvent {
  return {
    bucket: "app-data",
    listed: 1000,
    total,
    copied,
    skipped: 0,
    failed: 0,
    bytesCopied: copied * 1024,
  };
}

describe("CLI S3 progress", () => {
  it("must log plain lines at most every 5 s per bucket, plus the final one, when not on a terminal", () => {
    const lines: string[] = [];
    let clock = 0;
    const sink = createProgress(io(false, lines), { now: () => clock });
    sink.onProgress(progress(1));
    clock = 1_000;
    sink.onProgress(progress(2));
    clock = 6_000;
    sink.onProgress(progress(500));
    clock = 6_100;
    sink.onProgress(progress(1000, 1000));
    sink.stop();
    assert.deepEqual(lines, [
      "s3 app-data: 1/1000+ objects, 1 copied, 0 unchanged, 0 failed, 0.0 MiB",
      "s3 app-data: 500/1000+ objects, 500 copied, 0 unchanged, 0 failed, 0.5 MiB",
      "s3 app-data: 1000/1000 objects, 1000 copied, 0 unchanged, 0 failed, 1.0 MiB",
    ]);
  });

  it("must draw a progress bar, not log lines, on a terminal", () => {
    const lines: string[] = [];
    let drawn = "";
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          drawn += chunk.toString();
          done();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    const sink = createProgress(io(true, lines), { stream });
    sink.onProgress(progress(10, 100));
    sink.onProgress(progress(100, 100));
    sink.stop();
    assert.deepEqual(lines, []);
    assert.match(drawn, /s3 app-data \[[^\]]*\] 100\/100 objects/);
  });
});
