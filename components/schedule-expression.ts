/**
 * EventBridge Scheduler expressions, checked before a preview ever reaches AWS: AWS rejects a bad
 * expression only at deploy time, after the rest of the stack has already changed. Pure functions
 * (no Pulumi) so config.ts and its spec share them.
 *
 * Grammar (AWS "Schedule types on EventBridge Scheduler"):
 * - `rate(value unit)`: a positive integer and minute(s) | hour(s) | day(s), singular for 1.
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields; exactly one of
 *   day-of-month and day-of-week is `?`.
 */

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: readonly FieldSpec[] = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day-of-week", min: 1, max: 7, names: DAYS },
  { name: "year", min: 1970, max: 2199 },
];

function valueOf(token: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  return index >= 0 ? index + spec.min : undefined;
}

/** Why one comma-separated item of a field is invalid, or undefined. */
function itemProblem(item: string, spec: FieldSpec, index: number): string | undefined {
  const range = `${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ""}`;
  if (index === 2) {
    if (item === "L" || item === "LW") return undefined;
    const weekday = /^(\d+)W$/.exec(item);
    if (weekday?.[1] !== undefined) {
      return valueOf(weekday[1], spec) === undefined
        ? `${spec.name} "${item}" is out of range ${range}`
        : undefined;
    }
    const offset = /^L-(\d+)$/.exec(item);
    if (offset?.[1] !== undefined)
      return Number(offset[1]) <= 30 ? undefined : `${spec.name} "${item}" is out of range`;
  }
  if (index === 4) {
    const last = /^([^L#]+)L$/.exec(item);
    if (last?.[1] !== undefined) {
      return valueOf(last[1], spec) === undefined
        ? `${spec.name} "${item}" is out of range ${range}`
        : undefined;
    }
    if (item === "L") return undefined;
    const nth = /^([^#]+)#([1-5])$/.exec(item);
    if (nth?.[1] !== undefined) {
      return valueOf(nth[1], spec) === undefined
        ? `${spec.name} "${item}" is out of range ${range}`
        : undefined;
    }
  }
  const [base = "", step, ...extra] = item.split("/");
  if (extra.length > 0) return `${spec.name} "${item}" has more than one "/"`;
  if (step !== undefined && !/^\d+$/.test(step))
    return `${spec.name} "${item}" has a step that is not a number`;
  if (step !== undefined && Number(step) === 0) return `${spec.name} "${item}" has a zero step`;
  if (base === "*") return undefined;
  const [from = "", to, ...more] = base.split("-");
  if (more.length > 0) return `${spec.name} "${item}" is not a value or a range`;
  const start = valueOf(from, spec);
  if (start === undefined) return `${spec.name} "${item}" is out of range ${range}`;
  if (to !== undefined) {
    const end = valueOf(to, spec);
    if (end === undefined) return `${spec.name} "${item}" is out of range ${range}`;
  }
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `cron() needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`;
  }
  const dom = fields[2];
  const dow = fields[4];
  if ((dom === "?") === (dow === "?")) {
    return "exactly one of day-of-month and day-of-week must be ? (the other says which days)";
  }
  for (const [index, field] of fields.entries()) {
    const spec = FIELDS[index];
    if (!spec) return "too many fields";
    if (field === "?") {
      if (index === 2 || index === 4) continue;
      return `${spec.name} cannot be ?`;
    }
    for (const item of field.split(",")) {
      if (item === "") return `${spec.name} has an empty list item`;
      const problem = itemProblem(item, spec, index);
      if (problem) return problem;
    }
  }
  return undefined;
}

function rateProblem(body: string): string | undefined {
  const match = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!match?.[1] || !match[2]) return "rate() needs a positive integer and minute(s), hour(s) or day(s)";
  const value = Number(match[1]);
  if (value < 1) return "rate() needs a value of at least 1";
  const plural = match[2].endsWith("s");
  if (value === 1 && plural) return `rate(1 ${match[2]}) must use the singular unit`;
  if (value > 1 && !plural) return `rate(${value} ${match[2]}) must use the plural unit`;
  return undefined;
}

/**
 * Why `expression` is not a recurring EventBridge Scheduler expression, or undefined when it is.
 * One-time `at(...)` schedules are refused: every drox-backup schedule recurs.
 */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const match = /^(cron|rate|at)\((.*)\)$/.exec(expression.trim());
  if (!match?.[1] || match[2] === undefined) return "must be cron(...) or rate(...)";
  if (match[1] === "at") return "at(...) runs once; use cron(...) or rate(...)";
  return match[1] === "cron" ? cronProblem(match[2]) : rateProblem(match[2]);
}
