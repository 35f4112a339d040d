/**
 * Runs the Pulumi program (index.ts) offline under `pulumi.runtime.setMocks` for a given stack
 * config and returns every resource it registered — type, name, inputs, urn — plus the stack's
 * exports. Shared by the infra specs, the offline plan (scripts/plan.ts), the Lambda package
 * benchmark and the policy pack's tests.
 *
 * Mocked outputs are deterministic: ids are `<name>-id`, ARNs are built from the name in account
 * 123456789012, and awsx's remote components (VPC, ECR image) return the outputs the program uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { FILLED_IN } from "../fixtures/filled-stacks";
import { evaluateShared, usedShared } from "./stryker-coverage";

export const PROJECT = "drox-backup";
export const ACCOUNT_ID = "123456789012";
export const REGION = "ap-northeast-2";
export const ROOT = path.resolve(__dirname, "..", "..");

export interface RecordedResource {
  /** e.g. `aws:lambda/function:Function`, `drox-backup:store:Store`, `awsx:ec2:Vpc`. */
  readonly type: string;
  readonly name: string;
  /** Inputs as the engine would receive them (secrets unwrapped; check `secretInputs`). */
  readonly inputs: Record<string, unknown>;
  readonly urn: string;
  readonly id: string;
  /** Custom resource (false for components). */
  readonly custom: boolean;
  /** The parent's URN (components' children), as the engine would see it. */
  readonly parent?: string;
  /** The outputs the mocked provider returned. */
  readonly state: Record<string, unknown>;
}

export interface ProgramRun {
  readonly resources: readonly RecordedResource[];
  /** The stack exports, resolved. */
  readonly outputs: Record<string, unknown>;
  /** The exports themselves (to check `pulumi.isSecret`). */
  readonly rawOutputs: Record<string, unknown>;
  /** Messages the program logged (pulumi.log.info/warn/error), in order. */
  readonly logs: readonly { readonly severity: string; readonly message: string }[];
  /** Wall time of the evaluation in milliseconds. */
  readonly elapsedMs: number;
}

export interface RunOptions {
  /** Stack name (`pulumi.getStack()`). @default "dev" */
  readonly stack?: string;
  /** Config as in Pulumi.<stack>.yaml: keys without the project prefix are the project's. */
  readonly config: Record<string, string>;
  /** Run as a preview (`pulumi.runtime.isDryRun()`). @default true */
  readonly preview?: boolean;
}

function arnFor(type: string, name: string): string {
  const service = type.split(":")[1]?.split("/")[0] ?? "mock";
  return `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${name}`;
}

/** Outputs the mocked engine returns for a new resource. */
function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const base: Record<string, unknown> = { ...inputs, arn: arnFor(type, name), name: inputs.name ?? name };
  switch (type) {
    case "awsx:ec2:Vpc":
    case "awsx:ec2:DefaultVpc":
      return {
        vpcId: `${name}-vpc-id`,
        publicSubnetIds: [`${name}-public-a`, `${name}-public-b`],
        privateSubnetIds: type === "awsx:ec2:Vpc" ? [`${name}-private-a`, `${name}-private-b`] : [],
      };
    case "awsx:ecr:Image":
      return { imageUri: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${name}@sha256:0000` };
    case "aws:s3/bucket:Bucket":
      return { ...base, bucket: name, arn: `arn:aws:s3:::${name}` };
    case "aws:sqs/queue:Queue":
      return {
        ...base,
        url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${name}`,
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${name}`,
      };
    case "aws:ecr/repository:Repository":
      return { ...base, repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${name}` };
    case "aws:ecs/taskDefinition:TaskDefinition":
      return {
        ...base,
        arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${String(inputs.family)}:1`,
      };
    case "aws:lb/loadBalancer:LoadBalancer":
      return { ...base, dnsName: `${name}.${REGION}.elb.amazonaws.com`, arnSuffix: `app/${name}/0123` };
    case "aws:lb/targetGroup:TargetGroup":
      return { ...base, arnSuffix: `targetgroup/${name}/0123` };
    case "aws:kms/key:Key":
      return { ...base, keyId: `${name}-key-id` };
    default:
      return base;
  }
}

let recorder: RecordedResource[] = [];
let logs: { severity: string; message: string }[] = [];

const mocks: pulumi.runtime.Mocks = {
  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const inputs = args.inputs as Record<string, unknown>;
    const id = args.custom ? `${args.name}-id` : "";
    const state = mockState(args.type, args.name, inputs);
    recorder.push({
      type: args.type,
      name: args.name,
      inputs,
      // Replaced by the monitor's URN (with the parent type chain) once the run completes.
      urn: `urn:pulumi:${pulumi.getStack()}::${PROJECT}::${args.type}::${args.name}`,
      id,
      custom: args.custom ?? true,
      state,
    });
    return { id, state };
  },
  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/mock`, userId: "mock" };
      case "aws:index/getRegion:getRegion":
        return { name: REGION, region: REGION, id: REGION };
      default:
        return args.inputs as Record<string, unknown>;
    }
  },
};

let logPatched = false;
function captureLogs(): void {
  if (logPatched) return;
  logPatched = true;
  for (const severity of ["info", "warn", "error"] as const) {
    const original = pulumi.log[severity];
    pulumi.log[severity] = (
      message: string,
      resource?: pulumi.Resource,
      streamId?: number,
      ephemeral?: boolean,
    ) => {
      logs.push({ severity, message });
      if (severity === "error") return original(message, resource, streamId, ephemeral);
      return Promise.resolve();
    };
  }
}

/**
 * `Pulumi.<stack>.yaml` with the keys a user fills in before the first `up`
 * (test/fixtures/filled-stacks.ts): the stack the specs evaluate.
 */
export function stackConfig(stack: string): Record<string, string> {
  return { ...stackFileConfig(stack), ...(FILLED_IN[stack] ?? {}) };
}

/** Reads `Pulumi.<stack>.yaml` (flat scalars and lists) into the config map runProgram takes. */
export function stackFileConfig(stack: string): Record<string, string> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const config: Record<string, string> = {};
  let listKey: string | undefined;
  let list: string[] = [];
  const flush = () => {
    if (listKey !== undefined) config[listKey] = JSON.stringify(list);
    listKey = undefined;
    list = [];
  };
  for (const raw of lines) {
    const line = raw.replace(/\s+#.*$/, "");
    if (/^\s*(#|$)/.test(line) || /^config:\s*$/.test(line)) continue;
    const item = /^\s+-\s+(.*)$/.exec(line);
    if (item?.[1] !== undefined && listKey !== undefined) {
      list.push(unquote(item[1]));
      continue;
    }
    flush();
    const entry = /^\s+([\w-]+:[\w-]+):\s*(.*)$/.exec(line);
    if (!entry?.[1]) continue;
    if (entry[2] === "" || entry[2] === undefined) listKey = entry[1];
    else config[entry[1]] = unquote(entry[2]);
  }
  flush();
  return config;
}

function unquote(value: string): string {
  const v = value.trim();
  return /^(["']).*\1$/.test(v) ? v.slice(1, -1) : v;
}

/** Fully-qualified config keys: `slackWebhookUrl` → `drox-backup:slackWebhookUrl`. */
function qualify(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]),
  );
}

async function resolve(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    return new Promise((done) => (value as pulumi.Output<unknown>).apply((v) => done(v)));
  }
  return value;
}

type Internal = { waitForRPCs?: () => Promise<void> };
type MockMonitorView = { getRegisteredResources(): Map<string, unknown> };

/**
 * The mock monitor knows each resource's real URN (`…::parentType$type::name`); mocks' newResource
 * does not get the parent, so the parent is the registered resource whose type chain is the
 * child's minus its own type (by name prefix when a type occurs twice: children are `${name}-role`).
 */
function withUrns(recorded: readonly RecordedResource[]): RecordedResource[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorView | undefined;
  const urns = [...(monitor?.getRegisteredResources().keys() ?? [])];
  const parse = (urn: string) => {
    const parts = urn.split("::");
    return { chain: parts[2] ?? "", name: parts.slice(3).join("::") };
  };
  const parsed = urns.map((urn) => ({ urn, ...parse(urn) }));
  return recorded.map((r) => {
    const own = parsed.find((p) => p.name === r.name && p.chain.split("$").pop() === r.type);
    if (!own) return r;
    const parentChain = own.chain.split("$").slice(0, -1).join("$");
    if (parentChain === "") return { ...r, urn: own.urn };
    const candidates = parsed
      .filter((p) => p.chain === parentChain && r.name.startsWith(p.name))
      .sort((a, b) => b.name.length - a.name.length);
    return { ...r, urn: own.urn, ...(candidates[0] ? { parent: candidates[0].urn } : {}) };
  });
}

/** Evaluates index.ts for the stack; throws what the program throws (e.g. a ConfigError). */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  captureLogs();
  recorder = [];
  logs = [];
  const stack = options.stack ?? "dev";
  const config = qualify(options.config);
  const secretKeys = Object.keys(config).filter((key) => SECRET_CONFIG_KEYS.has(key.split(":")[1] ?? ""));
  pulumi.runtime.setAllConfig(config, secretKeys);
  await pulumi.runtime.setMocks(mocks, PROJECT, stack, options.preview ?? true);

  // A fresh evaluation: index.ts runs its composition (and config.ts its reads) again on require.
  for (const module of ["index.ts", "config.ts"])
    Reflect.deleteProperty(require.cache, path.join(ROOT, module));
  const started = performance.now();
  const cwd = process.cwd();
  process.chdir(ROOT); // Lambda code paths are relative to the program's directory, as under `pulumi`.
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(path.join(ROOT, "index.ts")) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exported)) outputs[key] = await resolve(value);
    await (pulumi.runtime as unknown as Internal).waitForRPCs?.();
    return {
      resources: withUrns(recorder),
      outputs,
      rawOutputs: exported,
      logs,
      elapsedMs: performance.now() - started,
    };
  } finally {
    process.chdir(cwd);
  }
}

const SECRET_CONFIG_KEYS = new Set([
  "slackWebhookUrl",
  "slackAlertsWebhookUrl",
  "slackReportsWebhookUrl",
  "slackBotToken",
  "notionToken",
  "apiToken",
]);

/** Resources of one type (exact token). */
export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one resource with this type and name; throws when absent. */
export function byName(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found)
    throw new Error(
      `no ${type} named ${name}; have: ${ofType(run, type)
        .map((r) => r.name)
        .join(", ")}`,
    );
  return found;
}

/**
 * `require` of a project module by its path from the project root, for specs that must install
 * mocks before loading the code under test (native `import()` of TypeScript is not hooked here).
 */
export function loadAfterMocks<T>(modulePath: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(ROOT, modulePath)) as T;
}

/** Distinctive secret values: any of them outside a secret is a leak. */
export const SENTINELS = {
  slackWebhookUrl: "https://hooks.slack.com/services/TSENTINEL1/BSENTINEL1/Sentinel0Main0Webhook",
  slackAlertsWebhookUrl: "https://hooks.slack.com/services/TSENTINEL2/BSENTINEL2/Sentinel0Alerts0Webhook",
  slackReportsWebhookUrl: "https://hooks.slack.com/services/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",
  notionToken: "secret_Sentinel0Notion0Token",
  apiToken: "Sentinel0Api0Token",
} as const;
/** A substring every sentinel contains. */
export const SENTINEL_MARK = "Sentinel0";

/** Slack app mode's sentinel bot token: set only by BOT_MODE, so the stacks stay in webhook mode. */
export const BOT_TOKEN_SENTINEL = "xoxb-1-2-Sentinel0Bot0Token";

/** Config overrides turning a stack into Slack app (bot token) mode, issue 11. */
export const BOT_MODE: Readonly<Record<string, string>> = {
  slackBotToken: BOT_TOKEN_SENTINEL,
  slackBackupChannel: "C0BACKUP01",
  slackAlertsChannel: "#devops-alerts",
  slackReportsChannel: "devops-reports",
};

/** The stack's file config plus every secret (optional ones too) set to its sentinel. */
export function stackConfigWithSecrets(
  stack: string,
  overrides: Record<string, string> = {},
  omit: readonly string[] = [],
): Record<string, string> {
  const config: Record<string, string> = { ...stackConfig(stack), ...SENTINELS, ...overrides };
  return Object.fromEntries(Object.entries(config).filter(([key]) => !omit.includes(key)));
}

const runs = new Map<string, Promise<ProgramRun>>();

/** The mutant Stryker has active in this process (its default `__stryker__` namespace), if any. */
function activeMutant(): string | undefined {
  const stryker = (globalThis as { __stryker__?: { activeMutant?: unknown } }).__stryker__;
  return typeof stryker?.activeMutant === "string" ? stryker.activeMutant : undefined;
}
/** One evaluation per distinct (stack, config) per process: specs share it read-only. */
export function cachedRun(
  stack: string,
  overrides: Record<string, string> = {},
  omit: readonly string[] = [],
): Promise<ProgramRun> {
  const config = stackConfigWithSecrets(stack, overrides, omit);
  // Under mutation testing (Stryker's mutation switching) each mutant is activated in the same
  // process: a run made with another mutant active must not be reused.
  const key = JSON.stringify([stack, config, activeMutant()]);
  let run = runs.get(key);
  if (!run) {
    // Evaluations share Pulumi's global runtime state: run them one after another.
    const previous = [...runs.values()].pop() ?? Promise.resolve(undefined);
    run = previous
      .catch(() => undefined)
      .then(() => evaluateShared(key, () => runProgram({ stack, config })));
    runs.set(key, run);
  }
  // Every spec using a cached run is credited with its coverage (./stryker-coverage.ts).
  usedShared(key);
  return run;
}

/** Pulumi marks secret inputs with this signature key and value. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** Every plain-text string in an input tree (secret-marked values are skipped), with its path. */
export function plainStrings(value: unknown, at = ""): { path: string; value: string }[] {
  if (typeof value === "string") return [{ path: at, value }];
  if (value === null || typeof value !== "object" || isSecretValue(value)) return [];
  if (pulumi.asset.AssetArchive.isInstance(value) || pulumi.asset.Asset.isInstance(value)) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
    plainStrings(child, `${at}.${key}`),
  );
}

/** The parsed JSON policy document of a recorded resource input. */
export function policyOf(
  resource: RecordedResource,
  input = "policy",
): { Statement: Record<string, unknown>[] } {
  const raw = resource.inputs[input];
  if (typeof raw !== "string") throw new Error(`${resource.name}.${input} is not a JSON string`);
  return JSON.parse(raw) as { Statement: Record<string, unknown>[] };
}

/** The serialized closure and every other in-memory asset of a CallbackFunction's code archive. */
export async function lambdaArchive(fn: RecordedResource): Promise<{ index: string; paths: string[] }> {
  const code = fn.inputs.code as pulumi.asset.AssetArchive;
  const assets = (await code.assets) as Record<string, pulumi.asset.Asset | pulumi.asset.Archive>;
  const index = assets["__index.js"] as pulumi.asset.StringAsset | undefined;
  if (!index) throw new Error(`${fn.name} has no __index.js`);
  return {
    index: String(await (index as unknown as { text: Promise<string> }).text),
    paths: Object.keys(assets),
  };
}
