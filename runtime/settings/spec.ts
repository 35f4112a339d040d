/**
 * The shape of a setting's declaration (runtime/settings/declaration.ts) and of the rules that join
 * keys: what config.ts, the runtime's readers, components/runtime-env.ts and `npm run gen:config`
 * rely on. Types and one helper; no @pulumi imports.
 */
import type { z } from "zod";

/** How a consumer gets a variable. */
export type Provision =
  /** A plain environment variable, in every stack. */
  | "always"
  /** A plain environment variable, when its config key is set. */
  | "configured"
  /** ECS `secrets` (Secrets Manager ARN resolved at task start), in every stack. */
  | "secret"
  /** ECS `secrets`, when its optional secret config key is set. */
  | "optionalSecret"
  /**
   * When slackBotToken is set (Slack app mode, issue 11): a plain variable, or a secret's ARN. The
   * key may be set in every stack (the history table, the Notion database); bot mode is what needs it.
   */
  | "botMode";

export type Consumer = "task" | "slack" | "notion";

export interface EnvVar {
  readonly name: string;
  /** The ECS container (service and scheduled jobs). */
  readonly task?: Provision;
  /** The Slack notifier Lambda. */
  readonly slack?: Provision;
  /** The Notion logger Lambda. */
  readonly notion?: Provision;
  /** Why no consumer gets it from the infrastructure (set by AWS, or for local runs and tests). */
  readonly unset?: string;
  /** The component that sets it from its own argument (so the program must not pass it). */
  readonly setBy?: string;
  /** The runtime's range and default where they differ from the stack's (local runs, tests). */
  readonly runtime?: { readonly min?: number; readonly max?: number; readonly default?: number };
}

export interface SettingSpec {
  /** Pulumi.yaml's type; `number` is declared as a string (Pulumi config has no decimals). */
  readonly type: "string" | "integer" | "number" | "boolean" | "list";
  /** From the trimmed, non-empty text to the value; `{key}` in messages is the key. */
  readonly schema: z.ZodType;
  readonly range?: { readonly min: number; readonly max: number };
  /** Used when the key is unset or blank. */
  readonly default?: string | number | boolean | readonly string[];
  /** The default in words, when it is derived or the runtime's. */
  readonly defaultText?: string;
  readonly secret?: true;
  /** The message when a required key is unset. */
  readonly required?: string;
  /** The variable carrying the value to the runtime (for a secret: the value in local runs). */
  readonly env?: EnvVar;
  /** For a secret: the variable carrying its Secrets Manager ARN. */
  readonly arnEnv?: EnvVar;
  /** A schedule expression: config.ts also checks EventBridge Scheduler's grammar. */
  readonly schedule?: true;
  /** What a valid value is, for the runtime's messages ("an AWS region"), with an example. */
  readonly what?: string;
  readonly example?: string;
  readonly description: string;
}

export type Specs = Record<string, SettingSpec>;

/** A problem: the key it is about and what to do. */
export type Problem = readonly [key: string, message: string];

/** What a rule sees of its keys: the value (default applied; undefined if unset or invalid). */
export interface RuleContext<S extends Specs> {
  value<K extends keyof S & string>(key: K): ValueOf<S[K]> | undefined;
  isSet(key: keyof S & string): boolean;
  /** Set and valid. */
  isValid(key: keyof S & string): boolean;
  raw(key: keyof S & string): string | undefined;
}

export type ValueOf<S extends SettingSpec> = z.output<S["schema"]>;

export interface Rule {
  readonly keys: readonly string[];
  readonly check: (context: RuleContext<Specs>) => readonly Problem[];
}

/** A rule over the keys of `group`, typed by them. */
export function rule<S extends Specs>(
  group: S,
  check: (context: RuleContext<S>) => readonly Problem[],
): Rule {
  return { keys: Object.keys(group), check: check as (context: RuleContext<Specs>) => readonly Problem[] };
}
