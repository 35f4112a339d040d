import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "..");
const run = promisify(execFile);

/**
 * What `drox-backup --help` (and every command before its action runs) loads: the program with
 * every command registered, in a fresh Node so nothing another spec loaded counts. The packages
 * below are what made the CLI take a second to start (issue 15): registering must stay cheap, and
 * each command's implementation loads when it runs.
 */
async function modulesLoadedByRegistration(): Promise<string[]> {
  const script = [
    `const { buildProgram } = require(${JSON.stringify(resolve(ROOT, "runtime/cli.ts"))});`,
    "const io = { out() {}, err() {}, isTTY: false, env: {}, exitCode: 0 };",
    "const program = buildProgram(io);",
    "program.helpInformation();",
    "for (const command of program.commands) command.helpInformation();",
    "process.stdout.write(JSON.stringify(Object.keys(require.cache)));",
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--require", "tsx/cjs", "-e", script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "" },
  });
  return JSON.parse(stdout) as string[];
}

const HEAVY = [
  "@aws-sdk/",
  "@smithy/",
  "zod",
  "pino",
  "@notionhq/client",
  "@slack/",
  "fastify",
  "cli-progress",
  "vega",
  "@resvg/",
  "ulid",
] as const;

describe("drox-backup start", function () {
  this.timeout(60_000);

  it("must register every command without loading the AWS SDK, zod, pino, Notion, Slack, the server or the charts", async () => {
    const loaded = await modulesLoadedByRegistration();
    const packages = loaded.filter((f) => f.includes("/node_modules/"));
    for (const heavy of HEAVY) {
      const hits = packages.filter((f) => f.includes(`/node_modules/${heavy}`));
      assert.deepEqual(hits, [], `${heavy} loaded at registration`);
    }
    // Only the command line's own parser, and tsx (which runs the sources), come from node_modules.
    const names = new Set(packages.map((f) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1]));
    assert.deepEqual([...names].sort(), ["commander", "esbuild", "tsx"]);
  });

  it("must not load any command's implementation (jobs, drills, restore, server, setup, history store) at registration", async () => {
    const loaded = (await modulesLoadedByRegistration()).filter((f) =>
      f.startsWith(resolve(ROOT, "runtime")),
    );
    const relative = loaded.map((f) => f.slice(resolve(ROOT, "runtime").length + 1)).sort();
    for (const folder of [
      "jobs/index",
      "drills/",
      "restore/index",
      "server/",
      "setup/doctor/index",
      "history/",
      "notion/",
      "reports/index",
      "ops/redrive",
      "aws/",
      "settings/",
    ])
      assert.deepEqual(
        relative.filter((f) => f.startsWith(folder)),
        [],
        `${folder} loaded at registration`,
      );
  });
});
