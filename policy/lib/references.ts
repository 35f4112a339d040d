import { PolicyResource } from "@pulumi/policy";
import { isUnknownValue, unproxy } from "./values";

// The properties a resource is referred to by: ids, ARNs and names. Read raw (not through the
// unknown-checking proxy) because an unknown id simply cannot match anything.
const IDENTIFYING_PROPS = ["id", "arn", "name", "bucket", "functionName"] as const;

function identifiers(resource: PolicyResource): Set<string> {
  const props = unproxy(resource.props) as Record<string, unknown>;
  const ids = new Set<string>([resource.urn]);
  for (const key of IDENTIFYING_PROPS) {
    const value = props[key];
    if (typeof value === "string" && value !== "" && !isUnknownValue(value)) {
      ids.add(value);
    }
  }
  return ids;
}

/** The last segment of an ARN (`…:function:name`, `…:role/path/name`), or the value itself. */
function arnTail(value: string): string {
  const afterColon = value.split(":").pop() ?? value;
  return afterColon.split("/").pop() ?? afterColon;
}

function valueRefersTo(value: unknown, target: PolicyResource): boolean {
  if (typeof value !== "string" || value === "" || isUnknownValue(value)) {
    return false;
  }
  const ids = identifiers(target);
  if (ids.has(value)) {
    return true;
  }
  // A Lambda function referred to by ARN while it is known by name, or the reverse.
  return value.startsWith("arn:") && ids.has(arnTail(value));
}

/**
 * Whether `from.props[key]` points at `target`. At preview the engine sends the dependency graph
 * (`propertyDependencies`) even when the referenced id is still unknown, so that comes first; the
 * value comparison covers callers that send no dependency graph.
 */
export function refersTo(from: PolicyResource, key: string, target: PolicyResource): boolean {
  if ((from.propertyDependencies[key] ?? []).some((dep) => dep.urn === target.urn)) {
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
