import assert from "node:assert/strict";
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { SNSEvent } from "aws-lambda";
import {
  bundleHandlers,
  BUNDLE_PATH,
  HANDLER_MODULE,
  lambdaPackage,
  PACKAGE_LIMIT_BYTES,
} from "../components/lambda-package";
import { startFakeNotion, type FakeNotionServer } from "./fakes/notion-server";
import { FakeSlack } from "./fakes/slack-server";
import { SEED_FAILURE } from "./fixtures/events";
import { coldStart, lambdaRuntimeModules, unpack } from "./support/lambda-runtime";
import { cachedRun, lambdaArchive, ofType, ROOT, SENTINEL_MARK, SENTINELS } from "./support/pulumi-mocks";

function sizeOf(p: string): number {
  const stat = fs.statSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, entry) => sum + sizeOf(path.join(p, entry)), 0);
}

/** Bare module specifiers reachable at run time from a runtime file (type-only imports excluded). */
function runtimeImports(entry: string, seen = new Set<string>()): Set<string> {
  const bare = new Set<string>();
  if (seen.has(entry)) return bare;
  seen.add(entry);
  const source = fs.readFileSync(entry, "utf8");
  const pattern =
    /(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|(?:import|require)\(\s*["']([^"']+)["']\s*\)/g;
  for (const match of source.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? "";
    if (specifier.startsWith(".")) {
      const base = path.resolve(path.dirname(entry), specifier);
      const file = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
      if (file) for (const name of runtimeImports(file, seen)) bare.add(name);
    } else {
      const name = specifier.startsWith("@")
        ? specifier.split("/").slice(0, 2).join("/")
        : (specifier.split("/")[0] ?? "");
      if (!builtinModules.includes(name.replace(/^node:/, ""))) bare.add(name);
    }
  }
  return bare;
}

let seq = 0;
function snsEvent(message: unknown): SNSEvent {
  seq += 1;
  const topic = "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events";
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: `${topic}:sub`,
        Sns: {
          Type: "Notification",
          MessageId: `isolation-${seq}`,
          TopicArn: topic,
          Subject: "drox-backup",
          Message: JSON.stringify(message),
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
}

describe("infra: inline Lambda packages", function () {
  this.timeout(120_000);
  const cwd = process.cwd();
  before(() => process.chdir(ROOT));
  after(() => process.chdir(cwd));

  it("must pack one bundled file of at most 1 MB per Lambda, against ~59 MB by default", async () => {
    const pkg = lambdaPackage();
    assert.deepEqual(pkg.codePathOptions.extraIncludePaths, [BUNDLE_PATH]);
    const paths = await pulumi.runtime.computeCodePaths({
      ...pkg.codePathOptions,
      extraExcludePackages: [...(pkg.codePathOptions.extraExcludePackages ?? [])],
    });
    assert.deepEqual([...paths.keys()], [BUNDLE_PATH], "the bundle and no package");
    const total = sizeOf(BUNDLE_PATH);
    assert.equal(total, pkg.bytes);
    assert.ok(total <= PACKAGE_LIMIT_BYTES, `${total} bytes > 1 MB`);
    assert.ok(total > 200 * 1024, "the handlers' packages are missing");
    const baseline = await pulumi.runtime.computeCodePaths({});
    const baselineTotal = [...baseline.keys()].reduce((sum, p) => sum + sizeOf(p), 0);
    assert.ok(baselineTotal > 50 * total, `default ${baselineTotal} is not ≫ ${total}`);
  });

  it("must bundle every package the handlers import and none the Lambda runtime provides", () => {
    const imports = runtimeImports(path.join(ROOT, "runtime", "handlers.ts"));
    const needed = [...imports].filter((name) => !/^@aws-sdk\//.test(name) && name !== "aws-lambda");
    const bundled = lambdaPackage().bundledPackages;
    for (const name of needed) assert.ok(bundled.includes(name), `${name} is not in the bundle`);
    assert.deepEqual(
      bundled.filter((name) => /^(@aws-sdk|@smithy|@types|@pulumi)\/|^(esbuild|tsx|typescript)$/.test(name)),
      [],
    );
    const text = fs.readFileSync(BUNDLE_PATH, "utf8");
    assert.doesNotMatch(text, /require\("@pulumi\//);
    assert.ok(!text.includes(SENTINEL_MARK), "no secret in the bundle");
    for (const value of Object.values(SENTINELS)) assert.ok(!text.includes(value));
  });

  it("must bundle from the TypeScript sources with no build step", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "drox-bundle-")), "handlers.js");
    try {
      const metafile = bundleHandlers(ROOT, out);
      assert.ok(Object.keys(metafile.inputs).includes("runtime/handlers.ts"));
      assert.ok(!Object.keys(metafile.inputs).some((input) => input.startsWith("dist/")));
      assert.ok(
        !Object.keys(metafile.inputs).some((input) => /^runtime\/(jobs|server|commands)\//.test(input)),
      );
      // keepNames: error classes still know their names for logs and DroxError.name.
      assert.match(fs.readFileSync(out, "utf8"), /"DroxError"/);
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });
});

describe("infra: each Lambda package in isolation", function () {
  this.timeout(180_000);
  let slack: FakeSlack;
  let notion: FakeNotionServer;
  let runtimeModules: string;
  const dirs: string[] = [];

  before(async () => {
    slack = await FakeSlack.start();
    notion = await startFakeNotion();
    runtimeModules = lambdaRuntimeModules();
  });

  after(async () => {
    await slack.close();
    await notion.close();
    for (const dir of [runtimeModules, ...dirs]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("must load each deployed package, closure and bundle alone, and deliver a first event to the fakes", async () => {
    const run = await cachedRun("dev");
    const functions = ofType(run, "aws:lambda/function:Function");
    assert.deepEqual(functions.map((f) => f.name).sort(), ["drox-backup-notion", "drox-backup-slack"]);
    const db = notion.addDatabase();
    const env = {
      SLACK_WEBHOOK_URL: slack.webhookUrl("main"),
      NOTION_TOKEN: notion.token,
      NOTION_DATABASE_ID: db.databaseId,
      NOTION_API_BASE_URL: notion.url,
      DISPLAY_TIME_ZONE: "Asia/Seoul",
    };
    for (const fn of functions) {
      const { index, paths } = await lambdaArchive(fn);
      assert.deepEqual(paths.sort(), ["__index.js", HANDLER_MODULE.slice(2)].sort(), fn.name);
      const unpacked = Buffer.byteLength(index) + sizeOf(path.join(ROOT, BUNDLE_PATH));
      assert.ok(unpacked <= PACKAGE_LIMIT_BYTES, `${fn.name} unpacks to ${unpacked} bytes > 1 MB`);
      const dir = unpack({ "__index.js": index, [BUNDLE_PATH]: { copyOf: path.join(ROOT, BUNDLE_PATH) } });
      dirs.push(dir);
      const timing = await coldStart(
        dir,
        "__index.js",
        "handler",
        snsEvent(SEED_FAILURE),
        env,
        runtimeModules,
      );
      assert.ok(timing.loadMs >= 0 && timing.firstEventMs > 0, JSON.stringify(timing));
    }
    assert.equal(slack.messages("main").length, 1, "the Slack package posted");
    assert.equal(notion.pages(db.dataSourceId).length, 1, "the Notion package logged a page");
  });
});
