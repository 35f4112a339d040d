/**
 * `drox-backup doctor`: the seed guide's troubleshooting list ("문제 해결"), automated. Reads the
 * same environment as the runtime and reports one line per check with the exact fix.
 */
import { checkAws } from "./aws";
import { type Check } from "./check";
import { checkNotion } from "./notion";
import { checkSlack } from "./slack";

export { type Check, type CheckStatus, formatCheck, MARK } from "./check";
export { checkAws } from "./aws";
export { checkNotion, schemaChecks } from "./notion";
export { checkSlack } from "./slack";

import { SECTIONS, type Section } from "./sections";

export { SECTIONS, type Section } from "./sections";

export interface DoctorOptions {
  /** Also post the Slack test message. */
  readonly send?: boolean;
  /** Sections to run, default all. */
  readonly only?: readonly Section[];
}

export interface SectionResult {
  readonly section: Section;
  readonly checks: readonly Check[];
}

/** Runs the sections in the seed's order (Slack, Notion, then AWS); never throws for a bad setting. */
export async function runDoctor(
  env: NodeJS.ProcessEnv,
  options: DoctorOptions = {},
): Promise<SectionResult[]> {
  const wanted = options.only && options.only.length > 0 ? options.only : SECTIONS;
  const results: SectionResult[] = [];
  for (const section of SECTIONS) {
    if (!wanted.includes(section)) continue;
    const checks =
      section === "slack"
        ? await checkSlack(env, { send: options.send })
        : section === "notion"
          ? await checkNotion(env)
          : await checkAws(env);
    results.push({ section, checks });
  }
  return results;
}

export function countByStatus(results: readonly SectionResult[]): Record<Check["status"], number> {
  const counts = { ok: 0, fail: 0, warn: 0 };
  for (const r of results) for (const c of r.checks) counts[c.status] += 1;
  return counts;
}
