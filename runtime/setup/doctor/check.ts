/**
 * One doctor finding: ✓ fine, ✗ wrong (the runtime will fail), ! worth a look (works, but not as
 * the guide sets it up). Every ✗ and ! carries the exact fix.
 */
import { redactText } from "../../logging/redact";

export type CheckStatus = "ok" | "fail" | "warn";

export interface Check {
  readonly status: CheckStatus;
  /** What was checked, e.g. `Notion property "Week"`. */
  readonly name: string;
  /** What was found. */
  readonly detail: string;
  /** What to do about it (for fail and warn). */
  readonly fix?: string;
}

export const MARK: Record<CheckStatus, string> = { ok: "✓", fail: "✗", warn: "!" };

export const ok = (name: string, detail: string): Check => ({ status: "ok", name, detail });
export const fail = (name: string, detail: string, fix: string): Check => ({
  status: "fail",
  name,
  detail,
  fix,
});
export const warn = (name: string, detail: string, fix: string): Check => ({
  status: "warn",
  name,
  detail,
  fix,
});

/** One line; secrets that reached a message (an echoed URL) are masked. */
export function formatCheck(check: Check): string {
  const fix = check.fix ? ` → fix: ${check.fix}` : "";
  return redactText(`${MARK[check.status]} ${check.name}: ${check.detail}${fix}`);
}

/** The text of any thrown value, masked. */
export function errorText(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}
