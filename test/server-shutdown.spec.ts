/**
 * Graceful shutdown as ECS does it: the service runs as its own process (runtime/server/main.ts),
 * a slow request is in flight (the fake Slack holds the test message), SIGTERM arrives; the
 * request must still complete, new connections must be refused, and the process must exit 0.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { FakeSlack } from "./fakes/slack-server";

const ROOT = resolve(__dirname, "..");
// The Node 22 running mocha (node_modules/.bin/node): a path under ROOT/node_modules would not exist
// in Stryker's sandbox when node_modules is a link to a shared install, as in a git worktree.
const NODE = process.execPath;
const API_TOKEN = "sentinel-api-token-0d4b8f2a6c1e3957";
const HOOK = "ShutdownSentinelHook5e1c";

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

async function startProcess(env: Record<string, string>): Promise<Started> {
  const child = spawn(NODE, ["--require", "tsx/cjs", join(ROOT, "runtime", "server", "main.ts")], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match) return { child, url: match[1]!, output: () => output };
    if (child.exitCode !== null) throw new Error(`service exited early (${child.exitCode}): ${output}`);
    if (Date.now() > deadline) throw new Error(`service did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("HTTP service shutdown", function () {
  this.timeout(60_000);
  let slack: FakeSlack;
  let started: Started | undefined;

  before(async () => {
    slack = await FakeSlack.start();
  });

  after(async () => {
    if (started?.child.exitCode === null) started.child.kill("SIGKILL");
    await slack.close();
  });

  it("must finish an in-flight request on SIGTERM, refuse new connections, then exit 0", async () => {
    started = await startProcess({
      API_TOKEN,
      SLACK_WEBHOOK_URL: slack.webhookUrl(HOOK),
      PORT: "0",
      HOST: "127.0.0.1",
    });
    const { child, url } = started;
    slack.stall(HOOK, 1_500);
    // "close", not "exit": a child's stdout may still hold unread lines when "exit" is emitted.
    const exited = once(child, "close");
    const inFlight = fetch(`${url}/api/test/slack`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    while (slack.requests(HOOK).length === 0) await new Promise((r) => setTimeout(r, 20));
    const signalledAt = Date.now();
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));

    await assert.rejects(fetch(`${url}/health`), /fetch failed/, "new connections must be refused");
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { ok: boolean }).ok, true);
    assert.equal(slack.messages(HOOK).length, 1);

    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.deepEqual([code, signal], [0, null], started.output());
    const stoppedAfter = Date.now() - signalledAt;
    assert.ok(stoppedAfter >= 1_000, "the process waited for the request");
    assert.ok(stoppedAfter < 10_000, `keep-alive held the process for ${stoppedAfter} ms`);
    const lines = started.output().trim().split("\n");
    assert.ok(lines.some((l) => l.includes('"signal":"SIGTERM"')));
    assert.match(lines.at(-1) ?? "", /shut down cleanly/);
    for (const secret of [API_TOKEN, HOOK])
      assert.ok(!started.output().includes(secret), `${secret} was logged`);
  });

  it("must write every log line, the last one included, before exiting when stdout drains slowly", async () => {
    started = await startProcess({ API_TOKEN, PORT: "0", HOST: "127.0.0.1", RATE_LIMIT_MAX: "100000" });
    const { child, url } = started;
    const exited = once(child, "close");
    // Stop reading: a busy log driver. Well over a pipe buffer (64 KiB) of request lines queue up.
    child.stdout?.pause();
    const REQUESTS = 2_000;
    for (let i = 0; i < REQUESTS; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${url}/api/backups/jobs`).then((r) => r.text())),
      );
    }
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    child.stdout?.resume();
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    const lines = started.output().trim().split("\n");
    // Each refused request (401) is one "request completed" line.
    assert.equal(lines.filter((l) => l.includes('"url":"/api/backups/jobs"')).length, REQUESTS);
    assert.match(lines.at(-1) ?? "", /shut down cleanly/);
  });

  it("must exit 1 with the missing setting named when no API token is configured", async () => {
    const child = spawn(NODE, ["--require", "tsx/cjs", join(ROOT, "runtime", "server", "main.ts")], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 1);
    assert.match(output, /API_TOKEN or API_TOKEN_SECRET_ARN must be set/);
  });
});
