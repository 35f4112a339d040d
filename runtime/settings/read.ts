/**
 * The runtime's side of the settings declaration: each setting's environment variable, default,
 * range and check come from runtime/settings/declaration.ts, the same entry config.ts reads the
 * stack key through, so the two cannot drift. The runtime's ranges may be wider than the stack's
 * (local runs and tests); its messages name the variable: `DR_REGION must be an AWS region, e.g.
 * ap-northeast-1 (got "Seoul")`.
 */
import { ConfigError } from "../contract/errors";
import { SETTINGS, type SettingKey, type SettingSpec, type Value } from "./declaration";
import { got, readInt, readNumber } from "./env";
import { KEY } from "./kinds";
import type { SecretSpec } from "./secrets";

/** Keys that reach the runtime through a variable. */
export type EnvKey = {
  [K in SettingKey]: (typeof SETTINGS)[K] extends { readonly env: unknown } ? K : never;
}[SettingKey];
type KeyOfType<T extends SettingSpec["type"]> = {
  [K in EnvKey]: (typeof SETTINGS)[K] extends { readonly type: T } ? K : never;
}[EnvKey];
export type NumberKey = KeyOfType<"integer" | "number">;
export type ListKey = KeyOfType<"list">;
export type SecretKey = {
  [K in SettingKey]: (typeof SETTINGS)[K] extends { readonly secret: true } ? K : never;
}[SettingKey];

function spec(key: SettingKey): SettingSpec {
  return SETTINGS[key];
}

/** The variable carrying a setting, e.g. `RETENTION_DAYS` for retentionDays. */
export function envName(key: EnvKey): string {
  const variable = spec(key).env;
  if (!variable) throw new Error(`${key} has no environment variable`);
  return variable.name;
}

/** A secret's two variables: its value (local runs) and its Secrets Manager ARN (AWS). */
export function secretSpec(key: SecretKey): SecretSpec {
  const { env, arnEnv } = spec(key);
  if (!env || !arnEnv) throw new Error(`${key} has no value and ARN variables`);
  return { valueVar: env.name, arnVar: arnEnv.name };
}

/** The trimmed text of a setting's variable, or undefined when unset or blank. */
export function rawSetting(env: NodeJS.ProcessEnv, key: EnvKey): string | undefined {
  const value = env[envName(key)]?.trim();
  return value ? value : undefined;
}

/**
 * A numeric setting within the runtime's range; the default when unset (the declaration's, or
 * `options.default` when it depends on another setting).
 */
export function readNumberSetting(
  env: NodeJS.ProcessEnv,
  key: NumberKey,
  options: { readonly default?: number } = {},
): number {
  const s = spec(key);
  const runtime = s.env?.runtime ?? {};
  const fallback = options.default ?? runtime.default ?? s.default;
  if (typeof fallback !== "number" || !s.range) throw new Error(`${key} has no runtime default or range`);
  const range = { default: fallback, min: runtime.min ?? s.range.min, max: runtime.max ?? s.range.max };
  return s.type === "integer" ? readInt(env, envName(key), range) : readNumber(env, envName(key), range);
}

/**
 * A list setting: comma-separated, trimmed, blanks and duplicates dropped. Items are not checked
 * again: the stack checked them, and local runs may name anything the emulator holds.
 */
export function readListSetting(env: NodeJS.ProcessEnv, key: ListKey): string[] {
  const value = rawSetting(env, key);
  if (!value) return [];
  return [...new Set(value.split(",").map((item) => item.trim()))].filter((item) => item.length > 0);
}

/** A setting checked by its declaration; its default (or undefined) when unset. */
export function readSetting<K extends EnvKey>(env: NodeJS.ProcessEnv, key: K): Value<K> {
  const s = spec(key);
  const value = rawSetting(env, key);
  if (value === undefined) return s.default as Value<K>;
  const result = s.schema.safeParse(value);
  if (result.success) return result.data as Value<K>;
  const name = envName(key);
  const quoted = got(name, value, { secret: s.secret });
  if (s.what) throw new ConfigError(`${name} must be ${s.what}, e.g. ${s.example ?? ""}${quoted}`);
  const issue = result.error.issues[0]?.message ?? "is not valid";
  throw new ConfigError(`${name} ${issue.replaceAll(KEY, name)}${quoted}`);
}
