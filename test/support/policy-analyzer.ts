/**
 * Drives the policy pack the way the Pulumi CLI does, over the gRPC Analyzer service that
 * `new PolicyPack(...)` serves: start `policy/index.ts` in the pack's directory with the stack's
 * environment, read the port it prints, then GetAnalyzerInfo → ConfigureStack → Configure (the
 * `--policy-pack-config` file, with schema defaults) → Analyze (each resource's inputs) →
 * AnalyzeStack (all resources with their parents and dependencies).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

export const POLICY_PACK_DIR = path.resolve(__dirname, "..", "..", "policy");

export type Level = "advisory" | "mandatory" | "remediate" | "disabled";

/** A resource as the engine sends it to an analyzer; props are already wire-serialized (sig objects). */
export interface AnalyzerResource {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  parent?: string;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  provider?: { type: string; name: string; urn: string; props: Record<string, unknown> };
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: Level;
  urn: string;
}

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: Level;
  configSchema?: { properties: Record<string, Record<string, unknown>>; required: string[] };
}

export interface PackInfo {
  name: string;
  version: string;
  policies: PolicyInfo[];
}

/** `--policy-pack-config` file: a level, or an object of properties with an optional level. */
export type PolicyPackConfigFile = Record<
  string,
  Level | ({ enforcementLevel?: Level } & Record<string, unknown>)
>;

const LEVELS: Record<number, Level> = {
  [analyzerpb.EnforcementLevel.ADVISORY]: "advisory",
  [analyzerpb.EnforcementLevel.MANDATORY]: "mandatory",
  [analyzerpb.EnforcementLevel.DISABLED]: "disabled",
  [analyzerpb.EnforcementLevel.REMEDIATE]: "remediate",
};
const LEVEL_VALUES: Record<Level, analyzerpb.EnforcementLevel> = {
  advisory: analyzerpb.EnforcementLevel.ADVISORY,
  mandatory: analyzerpb.EnforcementLevel.MANDATORY,
  disabled: analyzerpb.EnforcementLevel.DISABLED,
  remediate: analyzerpb.EnforcementLevel.REMEDIATE,
};

function unary<Req, Res>(
  call: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    call(req, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function toStruct(value: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]);
}

function options(parent?: string): analyzerpb.AnalyzerResourceOptions {
  const opts = new analyzerpb.AnalyzerResourceOptions();
  opts.setCustomtimeouts(new analyzerpb.AnalyzerResourceOptions.CustomTimeouts());
  if (parent) {
    opts.setParent(parent);
  }
  return opts;
}

function providerMessage(
  provider: NonNullable<AnalyzerResource["provider"]>,
): analyzerpb.AnalyzerProviderResource {
  const msg = new analyzerpb.AnalyzerProviderResource();
  msg.setType(provider.type);
  msg.setName(provider.name);
  msg.setUrn(provider.urn);
  msg.setProperties(toStruct(provider.props));
  return msg;
}

function diagnostics(res: analyzerpb.AnalyzeResponse): Diagnostic[] {
  return res.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
    urn: d.getUrn(),
  }));
}

export interface StartOptions {
  stack: string;
  project: string;
  /** Stack config as the CLI passes it in PULUMI_CONFIG (fully qualified keys). */
  config?: Record<string, string>;
  dryRun?: boolean;
  /**
   * `tsx` (default, ~2 s) loads index.ts with tsx; `pulumi` runs @pulumi/pulumi's run-policy-pack,
   * the script the CLI's `pulumi-analyzer-policy` plugin runs (ts-node with type checking, ~10 s).
   */
  launcher?: "tsx" | "pulumi";
}

export class PolicyAnalyzer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
    private readonly stderr: string[],
    private readonly start: StartOptions,
  ) {}

  /** Starts the pack as `pulumi-analyzer-policy` would: in its directory, with the stack's environment. */
  static async start(start: StartOptions, packDir = POLICY_PACK_DIR): Promise<PolicyAnalyzer> {
    const dryRun = String(start.dryRun ?? true);
    // One process either way (no tsx CLI wrapper), so closing it ends the pack.
    const args =
      start.launcher === "pulumi"
        ? [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:0", "."]
        : ["--require", "tsx/cjs", "index.ts"];
    const child = spawn(process.execPath, args, {
      cwd: packDir,
      env: {
        ...process.env,
        PULUMI_CONFIG: JSON.stringify(start.config ?? {}),
        PULUMI_NODEJS_PROJECT: start.project,
        PULUMI_NODEJS_STACK: start.stack,
        PULUMI_NODEJS_DRY_RUN: dryRun,
        PULUMI_PROJECT: start.project,
        PULUMI_STACK: start.stack,
        PULUMI_DRY_RUN: dryRun,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stderr: string[] = [];
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      lines.once("line", (line) => {
        const value = Number(line.trim());
        if (Number.isInteger(value) && value > 0) {
          resolve(value);
        } else {
          reject(new Error(`policy pack printed "${line}" instead of its port`));
        }
      });
      child.once("exit", (code) =>
        reject(new Error(`policy pack exited with ${String(code)} before serving:\n${stderr.join("")}`)),
      );
    });
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    const analyzer = new PolicyAnalyzer(child, client, stderr, start);
    await analyzer.configureStack();
    return analyzer;
  }

  private async configureStack(): Promise<void> {
    const req = new analyzerpb.AnalyzerStackConfigureRequest();
    req.setStack(this.start.stack);
    req.setProject(this.start.project);
    req.setOrganization("organization");
    req.setDryRun(this.start.dryRun ?? true);
    for (const [key, value] of Object.entries(this.start.config ?? {})) {
      req.getConfigMap().set(key, value);
    }
    await unary(this.client.configureStack.bind(this.client), req);
  }

  async info(): Promise<PackInfo> {
    const info = await unary<Empty, analyzerpb.AnalyzerInfo>(
      this.client.getAnalyzerInfo.bind(this.client),
      new Empty(),
    );
    return {
      name: info.getName(),
      version: info.getVersion(),
      policies: info.getPoliciesList().map((p) => {
        const schema = p.getConfigschema();
        return {
          name: p.getName(),
          description: p.getDescription(),
          enforcementLevel: LEVELS[p.getEnforcementlevel()] ?? "advisory",
          ...(schema
            ? {
                configSchema: {
                  properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<
                    string,
                    Record<string, unknown>
                  >,
                  required: schema.getRequiredList(),
                },
              }
            : {}),
        };
      }),
    };
  }

  /**
   * Sends the pack config like the CLI: every policy gets its level (the file's, else its own)
   * and its schema's defaults overlaid with the file's properties. Rejects unknown policies,
   * unknown properties and values of the wrong JSON type, as the CLI's schema validation does.
   */
  async configure(file: PolicyPackConfigFile = {}): Promise<void> {
    const info = await this.info();
    const known = new Map(info.policies.map((p) => [p.name, p]));
    const errors: string[] = [];
    for (const name of Object.keys(file)) {
      if (!known.has(name)) {
        errors.push(`unknown policy "${name}"`);
      }
    }
    const req = new analyzerpb.ConfigureAnalyzerRequest();
    for (const policy of info.policies) {
      const entry = file[policy.name];
      const given = typeof entry === "object" ? entry : {};
      const level = typeof entry === "string" ? entry : (given.enforcementLevel ?? policy.enforcementLevel);
      if (!(level in LEVEL_VALUES)) {
        errors.push(
          `${policy.name}: enforcementLevel "${String(level)}" is not one of ${Object.keys(LEVEL_VALUES).join(", ")}`,
        );
        continue;
      }
      const schema = policy.configSchema?.properties ?? {};
      const properties: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(schema)) {
        if (prop.default !== undefined) {
          properties[key] = prop.default;
        }
      }
      for (const [key, value] of Object.entries(given)) {
        if (key === "enforcementLevel") {
          continue;
        }
        const prop = schema[key];
        if (!prop) {
          errors.push(`${policy.name}: unknown property "${key}"`);
        } else if (!matchesType(value, prop.type)) {
          errors.push(`${policy.name}.${key}: expected ${String(prop.type)}, got ${JSON.stringify(value)}`);
        }
        properties[key] = value;
      }
      const config = new analyzerpb.PolicyConfig();
      config.setEnforcementlevel(LEVEL_VALUES[level]);
      config.setProperties(toStruct(properties));
      req.getPolicyconfigMap().set(policy.name, config);
    }
    if (errors.length > 0) {
      throw new Error(`invalid policy pack config:\n  ${errors.join("\n  ")}`);
    }
    await unary(this.client.configure.bind(this.client), req);
  }

  /** Analyze: one resource's inputs, before it would be created or updated. */
  async analyze(resource: AnalyzerResource): Promise<Diagnostic[]> {
    const req = new analyzerpb.AnalyzeRequest();
    req.setType(resource.type);
    req.setName(resource.name);
    req.setUrn(resource.urn);
    req.setProperties(toStruct(resource.props));
    req.setOptions(options(resource.parent));
    if (resource.provider) {
      req.setProvider(providerMessage(resource.provider));
    }
    return diagnostics(await unary(this.client.analyze.bind(this.client), req));
  }

  /** AnalyzeStack: every resource with its parent and dependencies, at the end of the preview. */
  async analyzeStack(resources: AnalyzerResource[]): Promise<Diagnostic[]> {
    const req = new analyzerpb.AnalyzeStackRequest();
    req.setResourcesList(
      resources.map((r) => {
        const msg = new analyzerpb.AnalyzerResource();
        msg.setType(r.type);
        msg.setName(r.name);
        msg.setUrn(r.urn);
        msg.setProperties(toStruct(r.props));
        msg.setOptions(options(r.parent));
        msg.setParent(r.parent ?? "");
        msg.setDependenciesList(r.dependencies ?? []);
        for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
          const deps = new analyzerpb.AnalyzerPropertyDependencies();
          deps.setUrnsList(urns);
          msg.getPropertydependenciesMap().set(key, deps);
        }
        if (r.provider) {
          msg.setProvider(providerMessage(r.provider));
        }
        return msg;
      }),
    );
    return diagnostics(await unary(this.client.analyzeStack.bind(this.client), req));
  }

  /** Analyze for each resource, then AnalyzeStack, as a preview does. */
  async analyzeAll(resources: AnalyzerResource[]): Promise<Diagnostic[]> {
    const perResource: Diagnostic[] = [];
    for (const resource of resources) {
      // The engine files a resource's diagnostics under that resource.
      perResource.push(...(await this.analyze(resource)).map((d) => ({ ...d, urn: d.urn || resource.urn })));
    }
    return [...perResource, ...(await this.analyzeStack(resources))];
  }

  /** What the pack wrote to stderr (its console.error and crashes). */
  get errorOutput(): string {
    return this.stderr.join("");
  }

  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null && this.child.pid !== undefined) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
  }
}

function matchesType(value: unknown, type: unknown): boolean {
  const types = Array.isArray(type) ? type : type === undefined ? [] : [type];
  if (types.length === 0) {
    return true;
  }
  return types.some((t) => {
    switch (t) {
      case "string":
        return typeof value === "string";
      case "boolean":
        return typeof value === "boolean";
      case "number":
        return typeof value === "number";
      case "integer":
        return Number.isInteger(value);
      case "array":
        return Array.isArray(value);
      case "object":
        return value !== null && typeof value === "object" && !Array.isArray(value);
      case "null":
        return value === null;
      default:
        return true;
    }
  });
}
