/**
 * Inline Lambda packages before and after issue 12, offline (Pulumi mocks, local fakes).
 *
 * After: the program's own packages (`__index.js` + the esbuild bundle), from the program run
 * under mocks. Before: the packing of commit BASELINE_REF (the compiled runtime files the handler
 * reaches plus the handler packages' loadable files), rebuilt here from that commit's
 * components/lambda-package.ts and a tsc build of today's runtime, so both sides carry the same code.
 *
 * For each side: the unpacked size, and the cold-start cost that matters — in a fresh Node process
 * whose only other modules are what the nodejs22.x runtime provides, the time to `require` the
 * handler module and to handle the first event against the local Slack and Notion fakes. Median of
 * --runs runs, each with a new event (so Notion does the same work: look up, then create). The
 * Notion logger's first event is mostly its own pacing (Notion's 3 requests a second), the same on
 * both sides; the load column is what the packaging changes.
 *
 * Usage: npm run bench:lambda [-- --runs 7]
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { BUNDLE_PATH, HANDLER_MODULE } from "../components/lambda-package";
import { startFakeNotion } from "../test/fakes/notion-server";
import { FakeSlack } from "../test/fakes/slack-server";
import { SEED_FAILURE } from "../test/fixtures/events";
import { coldStart, lambdaRuntimeModules, unpack, type ColdStart } from "../test/support/lambda-runtime";
import { lambdaArchive, ofType, ROOT, runProgram, stackConfig } from "../test/support/pulumi-mocks";

/** The last commit with the file-by-file packing. */
const BASELINE_REF = "c2359be";

const PLACEHOLDER_SECRETS = {
  slackWebhookUrl: "https://hooks.slack.com/services/T00000000/B00000000/benchPlaceholder",
  notionToken: "secret_benchPlaceholder",
  apiToken: "benchPlaceholder",
};

const HANDLERS = [
  { fn: "drox-backup-slack", entry: "slackNotifier" },
  { fn: "drox-backup-notion", entry: "notionLogger" },
] as const;

interface Side {
  readonly files: Record<string, { copyOf: string } | string>;
  readonly bytes: number;
  /** The handler module inside the package. */
  readonly module: string;
}

function sizeOf(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, entry) => sum + sizeOf(path.join(p, entry)), 0);
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2)} MiB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

interface BaselineModule {
  readonly HANDLER_PACKAGES: readonly string[];
  lambdaPackage(options: { projectDir: string; runtimeDir: string; packages: readonly string[] }): {
    codePathOptions: pulumi.runtime.CodePathOptions;
  };
}

/** BASELINE_REF's packing of a tsc build of the current runtime, in .bench/ (git-ignored). */
async function before(): Promise<Side> {
  const work = path.join(ROOT, ".bench", "lambda-before");
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const component = path.join(work, "lambda-package.ts");
  fs.writeFileSync(
    component,
    execFileSync("git", ["show", `${BASELINE_REF}:components/lambda-package.ts`], {
      cwd: ROOT,
      encoding: "utf8",
    }),
  );
  execFileSync(
    path.join(ROOT, "node_modules/.bin/tsc"),
    ["-p", "tsconfig.build.json", "--outDir", path.join(work, "dist")],
    { cwd: ROOT, stdio: "inherit" },
  );
  const runtimeDir = path.relative(ROOT, path.join(work, "dist", "runtime"));
  const baseline = (await import(component)) as BaselineModule;
  // The handlers have imported @slack/web-api since Slack app mode (issue 11): the baseline packs it
  // too, or its package could not even load today's runtime.
  const packages = [...baseline.HANDLER_PACKAGES, "@slack/web-api"];
  const paths = (
    baseline.lambdaPackage({ projectDir: ROOT, runtimeDir, packages }).codePathOptions.extraIncludePaths ?? []
  ).filter((p) => fs.statSync(path.join(ROOT, p)).isFile());
  return {
    files: Object.fromEntries(paths.map((p) => [p, { copyOf: path.join(ROOT, p) }])),
    bytes: paths.reduce((sum, p) => sum + sizeOf(path.join(ROOT, p)), 0),
    module: `${runtimeDir}/handlers.js`,
  };
}

async function main(): Promise<void> {
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
  process.chdir(ROOT);
  console.log(
    `drox-backup inline Lambda packages (offline: mocks, local fakes) — node ${process.version}, ${os.cpus().length} CPUs, median of ${runs} cold starts\n`,
  );

  const run = await runProgram({ stack: "dev", config: { ...stackConfig("dev"), ...PLACEHOLDER_SECRETS } });
  const sides: Record<"before" | "after", Side> = {
    before: await before(),
    after: {
      files: { [BUNDLE_PATH]: { copyOf: path.join(ROOT, BUNDLE_PATH) } },
      bytes: sizeOf(path.join(ROOT, BUNDLE_PATH)),
      module: HANDLER_MODULE,
    },
  };

  const slack = await FakeSlack.start();
  const notion = await startFakeNotion();
  const db = notion.addDatabase();
  const env = {
    SLACK_WEBHOOK_URL: slack.webhookUrl("main"),
    NOTION_TOKEN: notion.token,
    NOTION_DATABASE_ID: db.databaseId,
    NOTION_API_BASE_URL: notion.url,
    DISPLAY_TIME_ZONE: "Asia/Seoul",
  };
  const runtimeModules = lambdaRuntimeModules();
  let seq = 0;
  const event = () => {
    seq += 1;
    const jobId = `01JC9Z4B2D6F8H0K2M4P${String(seq).padStart(6, "0")}`;
    return {
      Records: [
        {
          EventSource: "aws:sns",
          EventVersion: "1.0",
          EventSubscriptionArn: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events:sub",
          Sns: {
            Type: "Notification",
            MessageId: `bench-${seq}`,
            TopicArn: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events",
            Subject: "drox-backup",
            Message: JSON.stringify({ ...SEED_FAILURE, jobId }),
            Timestamp: "2024-11-04T00:00:00.000Z",
            SignatureVersion: "1",
            Signature: "fake",
            SigningCertUrl: "https://sns.example/cert.pem",
            UnsubscribeUrl: "https://sns.example/unsubscribe",
            MessageAttributes: {},
          },
        },
      ],
    };
  };

  console.log("function              side    package      load    first event   cold start");
  interface Totals {
    before: number;
    after: number;
    loadBefore: number;
    loadAfter: number;
    bytesBefore: number;
    bytesAfter: number;
  }
  const totals: Record<string, Totals> = {};
  for (const { fn, entry } of HANDLERS) {
    const deployed = ofType(run, "aws:lambda/function:Function").find((f) => f.name === fn);
    if (!deployed) throw new Error(`${fn} not registered`);
    const { index } = await lambdaArchive(deployed);
    // Sides alternate run by run, so drift on a shared machine hits both alike.
    const timings: Record<"before" | "after", ColdStart[]> = { before: [], after: [] };
    const dirs = {
      before: unpack({ "__index.js": index, ...sides.before.files }),
      after: unpack({ "__index.js": index, ...sides.after.files }),
    };
    for (let i = 0; i < runs; i++)
      for (const side of ["before", "after"] as const)
        timings[side].push(
          await coldStart(dirs[side], sides[side].module, entry, event(), env, runtimeModules),
        );
    for (const side of ["before", "after"] as const) {
      fs.rmSync(dirs[side], { recursive: true, force: true });
      const load = median(timings[side].map((t) => t.loadMs));
      const first = median(timings[side].map((t) => t.firstEventMs));
      const total = median(timings[side].map((t) => t.loadMs + t.firstEventMs));
      const packageBytes = sides[side].bytes + Buffer.byteLength(index);
      totals[fn] = {
        ...(totals[fn] ?? {
          before: 0,
          after: 0,
          loadBefore: 0,
          loadAfter: 0,
          bytesBefore: 0,
          bytesAfter: 0,
        }),
        [side]: total,
        [side === "before" ? "loadBefore" : "loadAfter"]: load,
        [side === "before" ? "bytesBefore" : "bytesAfter"]: packageBytes,
      };
      console.log(
        `${fn.padEnd(21)} ${side.padEnd(6)} ${mib(packageBytes).padStart(9)}  ${ms(load).padStart(7)}  ${ms(first).padStart(11)}  ${ms(total).padStart(11)}`,
      );
    }
  }
  console.log("");
  for (const [fn, t] of Object.entries(totals))
    console.log(
      `${fn}: package ${mib(t.bytesBefore)} → ${mib(t.bytesAfter)} (${t.bytesAfter} bytes, ratio ${(t.bytesBefore / t.bytesAfter).toFixed(2)}), module load ${ms(t.loadBefore)} → ${ms(t.loadAfter)} (ratio ${(t.loadBefore / t.loadAfter).toFixed(2)}), cold start ${ms(t.before)} → ${ms(t.after)} (ratio ${(t.before / t.after).toFixed(2)})`,
    );
  console.log(
    `Slack messages posted ${slack.messages("main").length}, Notion pages ${notion.pages(db.dataSourceId).length} (one per cold start)`,
  );
  await slack.close();
  await notion.close();
  fs.rmSync(runtimeModules, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
