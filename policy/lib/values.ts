/**
 * Helpers for reading resource props. Policies read the raw props behind @pulumi/policy's
 * unknown-checking proxy and decide per field what a value unknown at preview means (usually:
 * not judged now, `pulumi up` runs the policy again on the resolved value), instead of letting the
 * proxy's exception turn the whole policy into a "can't run during preview" advisory.
 */
// @pulumi/policy wraps props in a Proxy whose methods cannot run on native objects (Promise#then on
// an asset's text throws "incompatible receiver"); the proxy hands out its target under this key.
const PROXY_TARGET_KEY = "__getSpecialProxyTarget";

/** Returns the object behind @pulumi/policy's proxy, or the value itself when not proxied. */
export function unproxy<T>(value: T): T {
  // Props deserialized from the engine are JSON values, assets and archives: never functions.
  if (value !== null && typeof value === "object") {
    const target = (value as Record<string, unknown>)[PROXY_TARGET_KEY];
    if (target !== undefined) {
      return target as T;
    }
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Every string inside a (JSON-like) value, with the dotted path it was found at. */
export function collectStrings(value: unknown, path = ""): { path: string; value: string }[] {
  const raw = unproxy(value);
  if (typeof raw === "string") {
    return [{ path, value: raw }];
  }
  if (Array.isArray(raw)) {
    return raw.flatMap((item, index) => collectStrings(item, `${path}[${index}]`));
  }
  if (isRecord(raw)) {
    return Object.entries(raw).flatMap(([key, item]) =>
      collectStrings(item, path === "" ? key : `${path}.${key}`),
    );
  }
  return [];
}

/** A name list from policy config, whatever JSON the user put there. */
export function stringList(value: unknown, fallback: readonly string[]): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [...fallback];
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

export function booleanOr(value: unknown, fallback: boolean): boolean {
  return typeof value === "boolean" ? value : fallback;
}

// The engine's wire sentinels for values unknown at preview, one per type (@pulumi/policy's
// proxy.js). Reading raw (unproxied) props yields these strings instead of an exception.
const UNKNOWN_SENTINELS = new Set<unknown>([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** Whether a raw (unproxied) value is the engine's placeholder for "not known at preview". */
export function isUnknownValue(value: unknown): boolean {
  return UNKNOWN_SENTINELS.has(value);
}
