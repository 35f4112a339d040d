import { PolicyResource } from "@pulumi/policy";
import { isUnknownValue, unproxy } from "./values";

// The properties a resource is referred to by: ids, ARNs and names. Read raw (not through the
// unknown-checking proxy) because an unknown id simply cannot match anything. The URN is not among
// them: a program's reference to an AWS (custom) resource reaches the analyzer as its id, only a
// component's as its URN (@pulumi/pulumi runtime/rpc.ts, serializeProperty), and no policy here
// follows a property to a component.
const IDENTIFYING_PROPS = ["id", "arn", "name", "bucket", "functionName"] as const;

/** A value that can name a resource: a string known at this point, and not empty. */
function isName(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !isUnknownValue(value);
}

function identifiers(resource: PolicyResource): Set<string> {
  const props = unproxy(resource.props) as Record<string, unknown>;
  return new Set(IDENTIFYING_PROPS.map((key) => props[key]).filter(isName));
}

/** The last segment of an ARN (`…:function:name`, `…:role/path/name`). */
function arnTail(arn: string): string {
  return arn.slice(Math.max(arn.lastIndexOf(":"), arn.lastIndexOf("/")) + 1);
}

function valueRefersTo(value: unknown, target: PolicyResource): boolean {
  if (!isName(value)) {
    return false;
  }
  const ids = identifiers(target);
  // A Lambda function, a role or a customer policy referred to by ARN while the stack knows it by
  // name (its ARN is computed by AWS).
  return ids.has(value) || (value.startsWith("arn:") && ids.has(arnTail(value)));
}

/**
 * Whether `from.props[key]` points at `target`. At preview the engine sends the dependency graph
 * (`propertyDependencies`) even when the referenced id is still unknown, so that comes first; the
 * value comparison covers callers that send no dependency graph.
 */
export function refersTo(from: PolicyResource, key: string, target: PolicyResource): boolean {
  if (from.propertyDependencies[key]?.some((dep) => dep.urn === target.urn)) {
    return true;
  }
  const raw = (unproxy(from.props) as Record<string, unknown>)[key];
  const values = Array.isArray(raw) ? raw : [raw];
  return values.some((value) => valueRefersTo(unproxy(value), target));
}

/** Whether a string value (not a resource property) names `target`. */
export function valueNames(value: unknown, target: PolicyResource): boolean {
  return valueRefersTo(unproxy(value), target);
}

export function ofType(resources: PolicyResource[], ...types: string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}
