/**
 * Adapter from the program run under mocks (test/support/pulumi-mocks.ts) to the resources the
 * engine would send the policy pack: wire-serialized props (assets, archives, secrets and unknowns
 * in their signature forms), the provider's outputs next to the inputs, parent URNs.
 */
import * as pulumi from "@pulumi/pulumi";
import { isUnknown } from "@pulumi/pulumi/output";
import { specialArchiveSig, specialAssetSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import type { AnalyzerResource } from "./policy-analyzer";
import {
  ACCOUNT_ID,
  PROJECT,
  ProgramRun,
  RecordedResource,
  REGION,
  runProgram,
  stackConfig,
} from "./pulumi-mocks";

/**
 * Secret config for the run. They look like the real thing on purpose: if any of them reached a
 * plain-text input, `no-plaintext-secrets` would report it.
 */
export const SENTINEL_SECRETS: Readonly<Record<string, string>> = {
  slackWebhookUrl: "https://hooks.slack.com/services/T0SENTINEL/B0SENTINEL/policyMainSentinel000000",
  slackAlertsWebhookUrl: "https://hooks.slack.com/services/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",
  slackReportsWebhookUrl: "https://hooks.slack.com/services/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",
  notionToken: `ntn_${"PolicySentinel".repeat(4)}`,
  apiToken: "policy-sentinel-api-token-0123456789abcdef",
};

/** Converts an input value as the SDK marshals it to the engine (and the engine to an analyzer). */
async function wire(value: unknown): Promise<unknown> {
  if (value === undefined) {
    return undefined;
  }
  if (isUnknown(value)) {
    return unknownValue;
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (pulumi.asset.Asset.isInstance(value)) {
    const asset = value as unknown as {
      text?: Promise<string>;
      path?: Promise<string>;
      uri?: Promise<string>;
    };
    const [kind, promise] = asset.text
      ? ["text", asset.text]
      : asset.path
        ? ["path", asset.path]
        : ["uri", asset.uri];
    return { [specialSigKey]: specialAssetSig, [kind as string]: await promise };
  }
  if (pulumi.asset.Archive.isInstance(value)) {
    const archive = value as unknown as {
      assets?: Promise<Record<string, unknown>>;
      path?: Promise<string>;
      uri?: Promise<string>;
    };
    if (archive.assets) {
      const assets = await archive.assets;
      const entries = await Promise.all(Object.entries(assets).map(async ([k, v]) => [k, await wire(v)]));
      return { [specialSigKey]: specialArchiveSig, assets: Object.fromEntries(entries) };
    }
    return archive.path
      ? { [specialSigKey]: specialArchiveSig, path: await archive.path }
      : { [specialSigKey]: specialArchiveSig, uri: await archive.uri };
  }
  const other: unknown = value;
  if (pulumi.Resource.isInstance(other)) {
    // A resource reference reaches an analyzer as the id (custom) or URN (component).
    const resolve = <T>(out: pulumi.Output<T>) => new Promise<T>((done) => out.apply(done));
    return pulumi.CustomResource.isInstance(other) ? resolve(other.id) : resolve(other.urn);
  }
  if (Array.isArray(other)) {
    return Promise.all(other.map(async (item: unknown) => (await wire(item)) ?? null));
  }
  const entries = await Promise.all(
    Object.entries(other as Record<string, unknown>).map(async ([k, v]) => [k, await wire(v)] as const),
  );
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

/**
 * The outputs the mocked provider reports next to the inputs. Mirrors pulumi-mocks.ts's mockState
 * (ids `<name>-id`, ARNs from the name) because RecordedResource does not carry the state.
 */
function mockOutputs(r: RecordedResource): Record<string, unknown> {
  const state = (r as RecordedResource & { state?: Record<string, unknown> }).state;
  if (state) {
    return { ...state, id: r.id };
  }
  const service = r.type.split(":")[1]?.split("/")[0] ?? "mock";
  const outputs: Record<string, unknown> = {
    id: r.id,
    arn: `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${r.name}`,
    name: r.inputs.name ?? r.name,
  };
  switch (r.type) {
    case "aws:s3/bucket:Bucket":
      return { ...outputs, bucket: r.name, arn: `arn:aws:s3:::${r.name}` };
    case "aws:sqs/queue:Queue":
      return { ...outputs, arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${r.name}` };
    case "aws:ecs/taskDefinition:TaskDefinition":
      return {
        ...outputs,
        arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/${String(r.inputs.family)}:1`,
      };
    default:
      return outputs;
  }
}

/** The URN the mock monitor gave the resource (its parents' URNs are in that form). */
function monitorUrn(r: RecordedResource, stack: string): string {
  const parentType = r.parent?.split("::")[2]?.split("$").pop();
  const type = parentType ? `${parentType}$${r.type}` : r.type;
  return `urn:pulumi:${stack}::${PROJECT}::${type}::${r.name}`;
}

export interface StackUnderPolicy {
  stack: string;
  run: ProgramRun;
  resources: AnalyzerResource[];
  /** Stack config as PULUMI_CONFIG carries it to the pack (fully qualified, secrets included). */
  config: Record<string, string>;
}

/** Runs the program for `Pulumi.<stack>.yaml` (plus sentinel secrets) and converts what it registered. */
export async function stackUnderPolicy(stack: string): Promise<StackUnderPolicy> {
  const config = { ...stackConfig(stack), ...SENTINEL_SECRETS };
  const run = await runProgram({ stack, config, preview: true });
  const resources = await Promise.all(
    run.resources.map(async (r): Promise<AnalyzerResource> => {
      const inputs = (await wire(r.inputs)) as Record<string, unknown>;
      return {
        type: r.type,
        name: r.name,
        urn: monitorUrn(r, stack),
        props: r.custom ? { ...mockOutputs(r), ...inputs } : inputs,
        ...(r.parent ? { parent: r.parent } : {}),
      };
    }),
  );
  const qualified = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]),
  );
  return { stack, run, resources, config: qualified };
}

/**
 * The same resources as a first `pulumi preview` of a new stack sends them: every id and ARN not
 * created yet is unknown, so is every input computed from one (wholly, for strings that embed one,
 * like policy documents), and the engine sends the dependency graph instead. Names stay known:
 * the provider auto-names at check time.
 */
export function asFirstPreview(resources: AnalyzerResource[]): AnalyzerResource[] {
  const computed = new Map<string, string>();
  for (const r of resources) {
    for (const key of ["id", "arn"]) {
      const value = r.props[key];
      if (typeof value === "string" && value !== "") computed.set(value, r.urn);
    }
  }
  const values = [...computed.keys()].sort((a, b) => b.length - a.length);
  return resources.map((r) => {
    const propertyDependencies: Record<string, string[]> = {};
    const hide = (value: unknown, key: string): unknown => {
      if (typeof value === "string") {
        const found = values.filter((v) => value.includes(v) && computed.get(v) !== r.urn);
        if (found.length === 0) return value;
        propertyDependencies[key] = [
          ...new Set([...(propertyDependencies[key] ?? []), ...found.map((v) => computed.get(v)!)]),
        ];
        return unknownValue;
      }
      if (Array.isArray(value)) return value.map((item) => hide(item, key));
      if (value !== null && typeof value === "object" && !(specialSigKey in value)) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hide(v, key)]));
      }
      return value;
    };
    const props = Object.fromEntries(
      Object.entries(r.props).map(([key, value]) => [
        key,
        (key === "id" || key === "arn") && computed.get(value as string) === r.urn
          ? unknownValue
          : hide(value, key),
      ]),
    );
    return {
      ...r,
      props,
      propertyDependencies,
      dependencies: [...new Set(Object.values(propertyDependencies).flat())],
    };
  });
}
