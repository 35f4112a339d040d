/** zod for request shapes that are not events (query strings, run requests), with the same issue list. */
import type { z } from "zod";
import type { FieldIssue } from "../contract/events";
import { HttpError } from "./errors";

export function parseOr400<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join(".") : `(${what})`,
    problem:
      issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message,
  }));
  throw new HttpError(
    400,
    "VALIDATION_FAILED",
    `invalid ${what}: ${issues.map((i) => `${i.field} ${i.problem}`).join("; ")}`,
    { issues },
  );
}
