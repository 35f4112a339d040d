/**
 * The weekly report's success-rate level (✅ / ⚠️ / ❌), shared by Slack and Notion so the two can
 * never judge one report differently. Also reads SUCCESS_RATE_OK / SUCCESS_RATE_WARN through the
 * settings declaration. Kept free of heavy imports: the Lambda handlers, the CLI and the doctor all
 * load it.
 */
import { ConfigError } from "../contract/errors";
import { SETTINGS } from "./declaration";
import { envName, readNumberSetting } from "./read";

export interface Thresholds {
  /** Success rate (0..1) at or above which the report is ✅ (Notion: ✅ 완료 / 정상). */
  readonly ok: number;
  /** Success rate at or above which (and below `ok`) it is ⚠️ (점검필요 / 주의); below: ❌. */
  readonly warn: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  ok: SETTINGS.successRateOk.default,
  warn: SETTINGS.successRateWarn.default,
});

export type SuccessLevel = "ok" | "warn" | "bad";

export const THRESHOLD_VARS = { ok: envName("successRateOk"), warn: envName("successRateWarn") } as const;

/**
 * The rate as people read it: rounded to one decimal of a percent (0.9496 → 0.95, shown 95.0%).
 * Display and level both go through this one rounding, floating point included, so they cannot
 * drift apart (e.g. 0.9495 is a hair above 949.5‰ as a double: shown 95.0%, and judged so).
 */
export function displayedRate(rate: number): number {
  return shownPermille(rate) / 1000;
}

/** `95.2%`: one decimal, as the seed's report shows it. */
export function formatSuccessRate(rate: number): string {
  return `${(shownPermille(rate) / 10).toFixed(1)}%`;
}

function shownPermille(rate: number): number {
  return Math.round(rate * 1000);
}

/**
 * The level of a success rate (0..1). Judged on the rate as displayed, not the raw ratio: a
 * report reading "✅ 95.0%" in Slack must not be "⚠️ 점검필요" in Notion, and a reader checking
 * "95.0% ≥ 95%" must get the answer the message gives.
 */
export function successLevel(rate: number, thresholds: Thresholds = DEFAULT_THRESHOLDS): SuccessLevel {
  const shown = displayedRate(rate);
  if (shown >= thresholds.ok) return "ok";
  if (shown >= thresholds.warn) return "warn";
  return "bad";
}

/** SUCCESS_RATE_OK / SUCCESS_RATE_WARN, defaults 0.95 / 0.80; a bad value is a ConfigError naming it. */
export function readThresholds(env: NodeJS.ProcessEnv = process.env): Thresholds {
  const ok = readNumberSetting(env, "successRateOk");
  const warn = readNumberSetting(env, "successRateWarn");
  if (warn > ok) {
    throw new ConfigError(
      `${THRESHOLD_VARS.warn} (${warn}) must not be greater than ${THRESHOLD_VARS.ok} (${ok})`,
    );
  }
  return { ok, warn };
}
