import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { envFor, RUNTIME_ENV, type RuntimeEnvVar } from "../components/runtime-env";
import { SETTINGS, type SettingSpec } from "../runtime/settings/declaration";
import { BOT_MODE, byName, cachedRun, ofType, ROOT, type ProgramRun } from "./support/pulumi-mocks";

/**
 * How runtime/ reads a variable: `env.NAME`, `env["NAME"]`, a helper taking `(env, "NAME", …)`,
 * a secret's `valueVar` / `arnVar`, a table of names (`THRESHOLD_VARS = { ok: "NAME", … }`), or a
 * setting read through its declaration (`readSetting(env, "retentionDays")`, `envName("…")`,
 * `secretSpec("…")`), which reads the variables the declaration gives that key.
 */
const READS = [
  /\benv\.([A-Z][A-Z0-9_]+)\b/g,
  /\benv\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]/g,
  /\(\s*(?:io\.)?env\s*,\s*["']([A-Z][A-Z0-9_]+)["']/g,
  /\b(?:valueVar|arnVar)\s*:\s*["']([A-Z][A-Z0-9_]+)["']/g,
];
const DECLARED_READS =
  /\b(?:readSetting|readNumberSetting|readListSetting|rawSetting|envName|secretSpec)\(\s*(?:(?:io\.|process\.)?env\s*,\s*)?["']([a-z][A-Za-z0-9]*)["']/g;
const NAME_TABLE = /\b[A-Z][A-Z0-9_]*_(?:VARS?|ENV)\s*=\s*\{([^}]*)\}/g;
const QUOTED_NAME = /["']([A-Z][A-Z0-9_]+)["']/g;

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** The variables the declaration gives a key (a secret has two: its value and its ARN). */
function variablesOf(key: string): string[] {
  const spec = (SETTINGS as Record<string, SettingSpec>)[key];
  if (!spec) throw new Error(`runtime/ reads "${key}" through the declaration, which has no such key`);
  return [spec.env?.name, spec.arnEnv?.name].filter((name) => name !== undefined);
}

function namesReadIn(source: string): string[] {
  const names = READS.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
  names.push(...[...source.matchAll(DECLARED_READS)].flatMap((m) => variablesOf(m[1]!)));
  for (const table of source.matchAll(NAME_TABLE)) {
    names.push(...[...table[1]!.matchAll(QUOTED_NAME)].map((m) => m[1]!));
  }
  return names;
}

/** Variable → the runtime files reading it. */
function variablesReadByRuntime(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sourcesUnder(path.join(ROOT, "runtime"))) {
    const source = fs.readFileSync(file, "utf8");
    for (const name of namesReadIn(source))
      found.set(name, [...(found.get(name) ?? []), path.relative(ROOT, file)]);
  }
  return found;
}

interface Container {
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
}
const containerOf = (run: ProgramRun): Container =>
  (
    JSON.parse(
      String(
        byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs.containerDefinitions,
      ),
    ) as Container[]
  )[0]!;
const lambdaEnv = (run: ProgramRun, name: string): string[] =>
  Object.keys(
    (
      byName(run, "aws:lambda/function:Function", name).inputs.environment as {
        variables: Record<string, string>;
      }
    ).variables,
  ).sort();

/** prod plus every optional key that adds a variable (Slack app mode included). */
const EVERYTHING: Record<string, string> = {
  ...BOT_MODE,
  backupTag: "Backup=true",
  drKmsKeyId: "alias/drox-backup-dr",
  s3SyncConcurrency: "32",
  s3BatchThreshold: "250000",
  jobTimeoutSeconds: "3600",
  rateLimitMax: "600",
  logLevel: "debug",
  drillDbInstanceClass: "db.t4g.micro",
};

describe("infra: runtime environment wiring", () => {
  let dev: ProgramRun;
  let full: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    full = await cachedRun("prod", EVERYTHING);
  });

  it("must recognise every way runtime/ reads a variable", () => {
    const sample = [
      "const a = env.ALPHA_ONE?.trim();",
      'const b = env["BRAVO"];',
      'positiveInt(env, "CHARLIE_DAYS", 7, 3650);',
      'const zone = io.env.DELTA_ZONE ?? "UTC";',
      'readNumber(io.env, "ECHO", 1);',
      'apiToken: { valueVar: "FOX_TOKEN", arnVar: "FOX_TOKEN_SECRET_ARN" },',
      'export const LIMIT_VARS = { ok: "GOLF_OK", warn: "GOLF_WARN" } as const;',
      'const status = "NOT_AN_ENV_VAR";',
      'const days = readNumberSetting(env, "retentionDays");',
      'const zone = readSetting(io.env, "displayTimeZone");',
      'const name = envName("successRateOk");',
      'notionToken: secretSpec("notionToken"),',
    ].join("\n");
    assert.deepEqual(
      namesReadIn(sample).sort(),
      [
        "ALPHA_ONE",
        "BRAVO",
        "CHARLIE_DAYS",
        "DELTA_ZONE",
        "ECHO",
        "FOX_TOKEN",
        "FOX_TOKEN_SECRET_ARN",
        "GOLF_OK",
        "GOLF_WARN",
        "DISPLAY_TIME_ZONE",
        "NOTION_TOKEN",
        "NOTION_TOKEN_SECRET_ARN",
        "RETENTION_DAYS",
        "SUCCESS_RATE_OK",
      ].sort(),
    );
  });

  it("must list in components/runtime-env.ts exactly the variables runtime/ reads", () => {
    const read = variablesReadByRuntime();
    const listed = Object.keys(RUNTIME_ENV).sort();
    const unlisted = [...read.keys()].filter((name) => !listed.includes(name));
    assert.deepEqual(
      unlisted.map((name) => `${name} (${read.get(name)!.join(", ")})`),
      [],
      "add each to RUNTIME_ENV with where the infrastructure provides it",
    );
    assert.deepEqual(
      listed.filter((name) => !read.has(name)),
      [],
      "no longer read by runtime/: remove from RUNTIME_ENV",
    );
  });

  it("must say for every variable who provides it, or why nobody does", () => {
    for (const [name, spec] of Object.entries(RUNTIME_ENV) as [string, RuntimeEnvVar][]) {
      const consumers = [spec.task, spec.slack, spec.notion].filter((p) => p !== undefined);
      assert.ok(consumers.length > 0 || (spec.unset ?? "") !== "", `${name}: no consumer and no reason`);
    }
  });

  it("must give the ECS container (service and scheduled jobs) every variable, secrets through `secrets`", () => {
    const { environment, secrets } = containerOf(full);
    assert.deepEqual(
      environment.map((e) => e.name).sort(),
      envFor("task", ["always", "configured", "botMode"]),
    );
    assert.deepEqual(secrets.map((s) => s.name).sort(), envFor("task", ["secret", "optionalSecret"]));
    // The dev stack sets no optional key but the tag: each always-provided variable is still there.
    const devContainer = containerOf(dev);
    assert.deepEqual(
      devContainer.environment.map((e) => e.name).sort(),
      [...envFor("task", ["always"]), "BACKUP_TAG"].sort(),
    );
    // …and every secret the stacks set (all but the bot token, which only Slack app mode sets).
    assert.deepEqual(
      devContainer.secrets.map((s) => s.name).sort(),
      envFor("task", ["secret", "optionalSecret"]).filter((name) => name !== "SLACK_BOT_TOKEN"),
    );
    for (const secret of devContainer.secrets) {
      assert.match(secret.valueFrom, /^arn:aws:secretsmanager:ap-northeast-2:123456789012:drox-backup-/);
    }
  });

  it("must run the scheduled jobs with the service's task definition and override only the command", () => {
    const task = byName(full, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task");
    const schedules = ofType(full, "aws:scheduler/schedule:Schedule");
    // ebs, rds, s3, integrity check, weekly and monthly report, and the restore drill (prod: drillEnabled).
    assert.equal(schedules.length, 7);
    for (const schedule of schedules) {
      const target = schedule.inputs.target as {
        ecsParameters: { taskDefinitionArn: string };
        input: string;
      };
      assert.equal(target.ecsParameters.taskDefinitionArn, task.state.arn);
      const overrides = JSON.parse(target.input) as { containerOverrides: Record<string, unknown>[] };
      assert.deepEqual(
        overrides.containerOverrides.map((o) => Object.keys(o).sort()),
        [["command", "name"]],
        schedule.name,
      );
    }
  });

  it("must give each Lambda exactly the variables its handler reads", () => {
    for (const [fn, consumer] of [
      ["drox-backup-slack", "slack"],
      ["drox-backup-notion", "notion"],
    ] as const) {
      assert.deepEqual(lambdaEnv(full, fn), envFor(consumer, ["always", "configured", "botMode"]), fn);
      const devEnv = lambdaEnv(dev, fn);
      for (const name of envFor(consumer, ["always"]))
        assert.ok(devEnv.includes(name), `${fn} (dev): ${name}`);
    }
  });
});
