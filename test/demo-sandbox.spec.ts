import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DemoSummary } from "../scripts/demo/summary";

const ROOT = resolve(__dirname, "..");

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The sandbox as `npm run demo` starts it (tsx on scripts/demo.ts), with an environment that has
 * no Slack, Notion or AWS settings of this machine: it must capture locally and bring its own AWS.
 */
function startDemo(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TZ: "UTC" };
  const child = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "scripts/demo.ts"), ...args], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolveRun) =>
    child.on("close", (code, signal) => resolveRun({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

function motoEndpoint(stdout: string): string {
  const match = /moto at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
  assert.ok(match, `no moto endpoint in:\n${stdout}`);
  return match[1]!;
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

describe("npm run demo (the local sandbox)", function () {
  this.timeout(180_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "drox-demo-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("must run the full round through the runtime, deliver every event to the captured Slack and Notion, and stop moto", async () => {
    const file = join(dir, "summary.json");
    const run = await startDemo(["--json", file]).done;
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(readFileSync(file, "utf8")) as DemoSummary;

    // The round: two EBS volumes (tag and id), two RDS (one missing on purpose), two buckets.
    assert.deepEqual(
      summary.results.map((r) => [r.type, r.status]).sort(),
      [
        ["EBS", "SUCCEEDED"],
        ["EBS", "SUCCEEDED"],
        ["RDS", "SUCCEEDED"],
        ["RDS", "FAILED"],
        ["S3", "SUCCEEDED"],
        ["S3", "SUCCEEDED"],
      ].sort(),
    );
    const failed = summary.results.find((r) => r.status === "FAILED")!;
    assert.equal(failed.resource, "db-instance-1");
    assert.deepEqual(failed.error, { message: "Database instance not found", code: "DBInstanceNotFound" });
    assert.equal(summary.check.status, "SUCCEEDED");
    assert.equal(summary.report.total, 6);
    assert.equal(summary.report.failed, 1);
    assert.equal(summary.eventsPublished, 8);

    // Every event through both production handlers, captured by the fakes.
    assert.equal(summary.slackMode, "capture");
    assert.equal(summary.notionMode, "capture");
    assert.equal(summary.deliveries.length, 8);
    assert.ok(summary.deliveries.every((d) => d.slack.ok && d.notion.ok));
    assert.deepEqual(summary.slackByChannel, {
      "#devops-backup": 8,
      "#devops-alerts": 1,
      "#devops-reports": 1,
    });
    const failure = summary.deliveries.find((d) => d.event.includes("db-instance-1"))!;
    assert.deepEqual(failure.slack.captured.map((m) => m.channel).sort(), [
      "#devops-alerts",
      "#devops-backup",
    ]);
    const text = failure.slack.captured[0]!.text;
    assert.match(
      text,
      /^❌ 백업 작업 실패\n\n타입: RDS\n리소스: db-instance-1\nJob ID: \w+\n시각: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n\n에러 메시지:\nDatabase instance not found\n\n⚠️ 즉시 확인이 필요합니다\.$/,
    );
    const page = failure.notion.captured[0]!.properties;
    assert.equal(page.Summary, "RDS 백업: db-instance-1");
    assert.equal(page.Status, "❌ 실패");
    assert.equal(page.Category, "RDS Dump");
    assert.equal(page.System_Health, "이상");
    const report = summary.deliveries.at(-1)!;
    assert.match(report.event, /^backup\.report\.v1 /);
    assert.deepEqual(report.slack.captured.map((m) => m.channel).sort(), [
      "#devops-backup",
      "#devops-reports",
    ]);
    assert.match(report.slack.captured[0]!.text, /총 실행: 6건\n성공: 5건\n실패: 1건\n성공률: ⚠️ 83\.3%/);
    assert.equal(report.notion.captured[0]!.properties.Summary, "주간 백업 리포트\n총 6건 실행, 성공률 83%");
    assert.equal(
      summary.deliveries.reduce((n, d) => n + d.notion.captured.length, 0),
      8,
    );

    // The terminal shows the texts and properties, and the summary.
    assert.ok(run.stdout.includes("  Slack #devops-alerts:\n    ❌ 백업 작업 실패\n"), run.stdout);
    assert.ok(run.stdout.includes("    Status          ❌ 실패\n"));
    assert.ok(run.stdout.includes("    FAILED RDS db-instance-1: Database instance not found\n"));
    assert.match(run.stdout, /Slack: {13}8\/8 events delivered, 10 messages captured/);
    assert.match(run.stdout, /Notion: {12}8\/8 events delivered, 8 pages created \(captured\)/);

    // The weekly chart, next to the summary and named in it: one 800 × 220 panel per type that ran.
    const chart = readFileSync(join(dir, "drox-demo-weekly-chart.png"));
    assert.equal(summary.chartFile, join(dir, "drox-demo-weekly-chart.png"));
    assert.deepEqual([chart.readUInt32BE(16), chart.readUInt32BE(20)], [800, 3 * 220]);
    assert.ok(
      run.stdout.includes(`  Weekly chart:      ${join(dir, "drox-demo-weekly-chart.png")} (PNG`),
      run.stdout,
    );

    // Cleaned up: its moto no longer answers.
    assert.equal(await reachable(motoEndpoint(run.stdout)), false);
  });

  it("must stop moto and the local servers on Ctrl-C", async () => {
    const { child, done } = startDemo([]);
    let seen = "";
    await new Promise<void>((ready, fail) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes("Notion: local capture")) ready();
      });
      child.on("close", () => fail(new Error(`demo ended before the round started:\n${seen}`)));
    });
    child.kill("SIGINT");
    const run = await done;
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /SIGINT: stopping the local servers and moto/);
    assert.equal(await reachable(motoEndpoint(run.stdout)), false);
  });
});
