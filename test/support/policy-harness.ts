/**
 * Runs one policy's validate functions on fixture resources, as @pulumi/policy's analyzer server
 * does (after pulumi/pulumi-policy-aws src/tests/util.ts): props behind the unknown-checking proxy,
 * the enforcement level resolved from config, not-applicable and preview-unknown outcomes recorded.
 */
import {
  EnforcementLevel,
  PolicyProviderResource,
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
  UnknownValueError,
} from "@pulumi/policy";
import { Resource, Unwrap } from "@pulumi/pulumi";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";

/** The engine's placeholder for a string not known at preview. */
export const UNKNOWN_STRING: string = unknownValue;

export interface Fixture {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  provider?: PolicyProviderResource;
  /** Property name → URNs of the resources that property's value came from. */
  propertyDependencies?: Record<string, string[]>;
}

export interface Reported {
  message: string;
  urn?: string;
  enforcementLevel: EnforcementLevel;
}

export interface Outcome {
  violations: Reported[];
  notApplicable: string[];
  /** Set when a validation read an unknown value and the server would report "can't run during preview". */
  unknown?: string;
}

export type PolicyConfig = Record<string, unknown> & { enforcementLevel?: EnforcementLevel };

type ResourceClass<TArgs> = { new (name: string, args: TArgs, ...rest: never[]): Resource } & {
  __pulumiType?: string;
};

const EMPTY_OPTIONS = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** A fixture of `cls`'s type with typed props (the unwrapped args bag), as the engine would send it. */
export function fixture<TArgs>(
  cls: ResourceClass<TArgs>,
  name: string,
  props: Unwrap<NonNullable<TArgs>>,
  extra: FixtureExtra = {},
): Fixture {
  const type = cls.__pulumiType;
  if (typeof type !== "string") {
    throw new Error(`${cls.name} has no Pulumi type`);
  }
  return rawFixture(type, name, props as Record<string, unknown>, extra);
}

export interface FixtureExtra extends Partial<Pick<Fixture, "provider" | "propertyDependencies">> {
  /** Output properties the provider computes (id, arn), sent along with the inputs. */
  outputs?: Record<string, unknown>;
}

export function rawFixture(
  type: string,
  name: string,
  props: Record<string, unknown>,
  { outputs = {}, ...extra }: FixtureExtra = {},
): Fixture {
  return {
    type,
    name,
    urn: `urn:pulumi:test::drox-backup::${type}::${name}`,
    props: { ...props, ...outputs },
    ...extra,
  };
}

/** A structured copy, so a case can change a fixture without touching the compliant one. */
export function change(base: Fixture, edit: (props: Record<string, unknown>) => void): Fixture {
  const copy = structuredClone({ ...base, provider: undefined });
  edit(copy.props);
  return { ...copy, provider: base.provider };
}

class NotApplicable extends Error {}

function levelOf(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  config: PolicyConfig,
): EnforcementLevel {
  return config.enforcementLevel ?? policy.enforcementLevel ?? "advisory";
}

function configWithoutLevel(config: PolicyConfig): Record<string, unknown> {
  const { enforcementLevel: _level, ...rest } = config;
  return rest;
}

function typeOf(cls: unknown): string | undefined {
  return (cls as { __pulumiType?: string }).__pulumiType;
}

export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: Fixture,
  config: PolicyConfig = {},
): Promise<Outcome> {
  const level = levelOf(policy, config);
  const outcome: Outcome = { violations: [], notApplicable: [] };
  const props = unknownCheckingProxy(resource.props) as Record<string, unknown>;
  const args: ResourceValidationArgs = {
    type: resource.type,
    props,
    urn: resource.urn,
    name: resource.name,
    opts: EMPTY_OPTIONS,
    provider: resource.provider,
    stackTags: new Map(),
    isType: (cls) => typeOf(cls) === resource.type,
    asType: ((cls: unknown) =>
      typeOf(cls) === resource.type ? props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => configWithoutLevel(config) as T,
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
  const report = (message: string, urn?: string): void => {
    outcome.violations.push({ message, urn: urn ?? resource.urn, enforcementLevel: level });
  };
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource];
  for (const validation of validations) {
    await settle(outcome, async () => validation?.(args, report));
  }
  return outcome;
}

/** Runs one validation, recording "not applicable" and "unknown at preview" the way the engine does. */
async function settle(outcome: Outcome, validate: () => Promise<unknown> | unknown): Promise<void> {
  try {
    await validate();
  } catch (err) {
    if (err instanceof NotApplicable) {
      outcome.notApplicable.push(err.message);
    } else if (err instanceof UnknownValueError) {
      outcome.unknown = (err as Error).message;
    } else {
      throw err;
    }
  }
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: Fixture[],
  config: PolicyConfig = {},
): Promise<Outcome> {
  const level = levelOf(policy, config);
  const outcome: Outcome = { violations: [], notApplicable: [] };
  const byUrn = new Map<string, PolicyResource>();
  const policyResources = resources.map((r): PolicyResource => {
    const props = unknownCheckingProxy(r.props) as Record<string, unknown>;
    const resource: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: EMPTY_OPTIONS,
      provider: r.provider,
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => typeOf(cls) === r.type,
      asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, resource);
    return resource;
  });
  resources.forEach((r, i) => {
    for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
      policyResources[i]!.propertyDependencies[key] = urns.map((u) => byUrn.get(u)!).filter(Boolean);
    }
  });
  const args: StackValidationArgs = {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => configWithoutLevel(config) as T,
    notApplicable: (reason?: string) => {
      throw new NotApplicable(reason);
    },
  };
  await settle(outcome, () =>
    policy.validateStack(args, (message, urn) => {
      outcome.violations.push({ message, urn, enforcementLevel: level });
    }),
  );
  return outcome;
}
