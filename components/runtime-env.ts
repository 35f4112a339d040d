/**
 * Every environment variable the runtime (runtime/**) reads, and where the infrastructure provides
 * it: the ECS container (the HTTP service and the scheduled jobs share one task definition) and the
 * two notification Lambdas. Derived from the settings declaration (runtime/settings/declaration.ts:
 * each setting's variable, plus the variables no stack key sets), so a variable cannot be renamed
 * on one side only: test/infra-runtime-env.spec.ts checks this list against a scan of runtime/ and
 * against the resources the program registers.
 */
import {
  RUNTIME_VARIABLES,
  SETTING_KEYS,
  SETTINGS,
  type Consumer,
  type EnvVar,
  type Provision,
  type SettingKey,
  type SettingSpec,
} from "../runtime/settings/declaration";

export type { Consumer, Provision };

export type RuntimeEnvVar = Omit<EnvVar, "name" | "runtime">;

function declaredVariables(): [string, RuntimeEnvVar][] {
  const fromSettings = SETTING_KEYS.flatMap((key) => {
    const spec: SettingSpec = SETTINGS[key];
    return [spec.env, spec.arnEnv].filter((env) => env !== undefined);
  }).map(({ name, runtime: _runtime, ...wiring }): [string, RuntimeEnvVar] => [name, wiring]);
  return [...fromSettings, ...Object.entries(RUNTIME_VARIABLES)];
}

export const RUNTIME_ENV: Readonly<Record<string, RuntimeEnvVar>> = Object.fromEntries(declaredVariables());

export type RuntimeEnvName = string;

/** The variables a consumer gets, by how it gets them. */
export function envFor(consumer: Consumer, provisions: readonly Provision[]): RuntimeEnvName[] {
  return Object.entries(RUNTIME_ENV)
    .filter(([, spec]) => {
      const provision = spec[consumer];
      return provision !== undefined && provisions.includes(provision);
    })
    .map(([name]) => name)
    .sort();
}

/** A setting's value as its variable carries it: lists comma-separated, a tag as Key=Value. */
export function envText(value: unknown): string {
  if (Array.isArray(value)) return value.join(",");
  if (value !== null && typeof value === "object" && "key" in value && "value" in value) {
    return `${String(value.key)}=${String(value.value)}`;
  }
  return String(value);
}

/**
 * The plain variables that every one of `consumers` gets from the settings (not secrets, not the
 * ones a component sets from its own argument), with their values: "always" ones in every stack,
 * "configured" ones when the key has a value.
 */
export function settingsEnvironment(
  values: { readonly [K in SettingKey]?: unknown },
  consumers: readonly Consumer[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    const variable = spec.env;
    if (variable === undefined || spec.secret || variable.setBy !== undefined) continue;
    const plain = consumers.every((c) => variable[c] === "always" || variable[c] === "configured");
    const value = values[key];
    if (plain && value !== undefined) env[variable.name] = envText(value);
  }
  return env;
}
