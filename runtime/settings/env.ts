/**
 * Readers of numeric environment variables, so every setting is parsed and reported one way:
 * `NAME must be a whole number from 1 to 3650, e.g. 7 (got "seven")`. Unset, empty or blank
 * means the default. Kept free of heavy imports: the Lambda handlers, the CLI and the service
 * all load it.
 */
import { ConfigError } from "../contract/errors";

export interface RangeOptions {
  /** Used when the variable is unset, empty or only whitespace. */
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Shown in the error; defaults to `default`. */
  readonly example?: number;
  /** Never quote the value back (also implied by the variable's name, e.g. *_URL, *_TOKEN). */
  readonly secret?: boolean;
}

// Names whose values may be credentials: an error must not carry even a malformed one.
const SECRET_NAME = /(?:_URL|_TOKEN|_SECRET|_ARN|_KEY|_PASSWORD)$/;
// A typo can paste a whole file into a variable; the message needs only its start.
const MAX_QUOTED = 40;

/** The trimmed value, or undefined when unset, empty or blank. */
function raw(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** ` (got "…")` for a message, or nothing when the value may be a credential. */
export function got(name: string, value: string, options: { readonly secret?: boolean } = {}): string {
  if (options.secret === true || SECRET_NAME.test(name)) return "";
  const shown = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value;
  return ` (got ${JSON.stringify(shown)})`;
}

function invalid(name: string, form: string, value: string, options: RangeOptions): ConfigError {
  const example = options.example ?? options.default;
  return new ConfigError(
    `${name} must be ${form} from ${options.min} to ${options.max}, e.g. ${example}${got(name, value, options)}`,
  );
}

/**
 * A whole number written in decimal digits only (no sign, point, exponent or hex), within
 * [min, max]; `min` must not be negative.
 */
export function readInt(env: NodeJS.ProcessEnv, name: string, options: RangeOptions): number {
  const value = raw(env, name);
  if (value === undefined) return options.default;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < options.min || parsed > options.max) {
    throw invalid(name, "a whole number", value, options);
  }
  return parsed;
}

/** Any finite JavaScript number (decimals, exponents) within [min, max]. */
export function readNumber(env: NodeJS.ProcessEnv, name: string, options: RangeOptions): number {
  const value = raw(env, name);
  if (value === undefined) return options.default;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < options.min || parsed > options.max) {
    throw invalid(name, "a number", value, options);
  }
  return parsed;
}
