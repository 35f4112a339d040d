/**
 * The kinds of value a setting can hold, each a zod schema from the trimmed, non-empty text of a
 * stack key (Pulumi config is text: a YAML list arrives as JSON) to the typed value. Messages say
 * what is wrong and how to fix it; `{key}` is replaced by the key that failed, so one kind serves
 * every key of its type. Used by runtime/settings/declaration.ts; no @pulumi imports.
 */
import { z } from "zod";

/** `{key}` in a message stands for the key being read. */
export const KEY = "{key}";

/** A whole number within [min, max] (as JavaScript's Number reads it, like Pulumi's integer). */
export function whole(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max} (pulumi config set ${KEY} <n>)`;
  return {
    type: "integer",
    range: { min, max },
    schema: z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  } as const;
}

/** A number from 0 to 1 (a share, e.g. a success rate). */
export function fraction() {
  const error = `must be a number from 0 to 1, e.g. 0.95 (pulumi config set ${KEY} 0.95)`;
  return {
    type: "number",
    range: { min: 0, max: 1 },
    schema: z.coerce.number({ error }).min(0, { error }).max(1, { error }),
  } as const;
}

/** `true` or `false`, exactly (Pulumi writes booleans so). */
export function flag() {
  return {
    type: "boolean",
    schema: z.stringbool({
      truthy: ["true"],
      falsy: ["false"],
      case: "sensitive",
      error: `must be true or false (pulumi config set ${KEY} true)`,
    }),
  } as const;
}

/** Free text, or text matching `pattern` (the message says what it must be). */
export function text(pattern?: RegExp, message?: string) {
  return {
    type: "string",
    schema: pattern ? z.string().regex(pattern, { error: message }) : z.string(),
  } as const;
}

/** One of `values`. */
export function oneOf<const V extends readonly [string, ...string[]]>(values: V, message: string) {
  return { type: "string", schema: z.enum(values, { error: message }) } as const;
}

/**
 * A YAML list (Pulumi stores it as JSON) or comma-separated values, each matching `pattern`;
 * duplicates dropped. Every bad item is named in one message.
 */
export function list(pattern: RegExp, what: string) {
  return {
    type: "list",
    schema: z.string().transform((raw, ctx): string[] => {
      let items: unknown;
      if (raw.startsWith("[")) {
        try {
          items = JSON.parse(raw);
        } catch {
          ctx.addIssue({
            code: "custom",
            message: "is not a valid list; use a YAML list or comma-separated values",
          });
          return z.NEVER;
        }
      } else {
        items = raw.split(",");
      }
      if (!Array.isArray(items) || !items.every((item) => typeof item === "string")) {
        ctx.addIssue({ code: "custom", message: "must be a list of strings" });
        return z.NEVER;
      }
      const values = items.map((item: string) => item.trim()).filter((item) => item !== "");
      const bad = values.filter((value) => !pattern.test(value));
      if (bad.length > 0) {
        const quoted = bad.map((b) => `"${b}"`).join(", ");
        ctx.addIssue({ code: "custom", message: `${quoted} ${bad.length > 1 ? "are" : "is"} not ${what}` });
        return z.NEVER;
      }
      return [...new Set(values)];
    }),
  } as const;
}

/** Text turned into a value by `parse`, or the message when it returns undefined. */
export function parsed<T>(
  parse: (raw: string) => T | undefined,
  message: string | ((raw: string) => string),
) {
  return {
    type: "string",
    schema: z.string().transform((raw, ctx): T => {
      const value = parse(raw);
      if (value === undefined) {
        ctx.addIssue({ code: "custom", message: typeof message === "string" ? message : message(raw) });
        return z.NEVER;
      }
      return value;
    }),
  } as const;
}

/**
 * `spec`, also refusing documented example values (placeholders): each is compared without case,
 * as the end of the value, so an example id inside any ARN is refused too.
 */
export function refusing<S extends { readonly schema: z.ZodType<string, string> }>(
  spec: S,
  examples: readonly string[],
  message: string,
): Omit<S, "schema"> & { readonly schema: z.ZodType<string, string> } {
  const isExample = (value: string) =>
    examples.some((example) => value.toLowerCase().endsWith(example.toLowerCase()));
  return { ...spec, schema: spec.schema.refine((value) => !isExample(value), { error: message }) };
}
