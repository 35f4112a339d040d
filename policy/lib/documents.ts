/**
 * IAM policy documents as the IAM policies of this pack read them (iam-role-least-privilege,
 * drill-deletes-scoped), in one place. A document arrives as JSON text, or as an object when the
 * program gave aws.iam.Policy a PolicyDocument; IAM's grammar lets most of its elements (Statement,
 * Action, Resource, a principal's Service, a condition's values) be one value or a list
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
 */
import { isRecord, unproxy } from "./values";

/**
 * A policy document as an object. One still unknown at preview (it embeds ARNs of resources not yet
 * created) or not JSON is none: `pulumi up` checks it again once resolved.
 */
export function documentOf(document: unknown): Record<string, unknown> | undefined {
  let doc: unknown = unproxy(document);
  // JSON.parse of an object parses its String(), "[object Object]", which throws, and the object
  // is kept as it was: trying to parse a non-string is harmless.
  // Stryker disable next-line ConditionalExpression: see above (equivalent)
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      // The unknown sentinel or text that is not JSON: kept as a string, which is not a record.
    }
  }
  return isRecord(doc) ? doc : undefined;
}

/**
 * An element given as one value or a list, as a list. An absent element comes back as
 * `[undefined]`: every caller keeps only the strings or records it needs from the list.
 */
export function listOf(value: unknown): unknown[] {
  const raw = unproxy(value);
  return Array.isArray(raw) ? raw : [raw];
}

/** The strings of an element given as one string or a list of them. */
export function stringsOf(value: unknown): string[] {
  return listOf(value).filter((v): v is string => typeof v === "string");
}
