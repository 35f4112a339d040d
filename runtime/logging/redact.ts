/**
 * Secret scrubbing for anything that leaves the process as text: log lines, error messages,
 * HTTP responses. Known secret values are masked exactly; anything shaped like a Slack webhook
 * URL, a Notion token or a bearer token is masked by pattern, so even a secret we were never
 * told about does not leak.
 */
export const REDACTED = "[REDACTED]";

const PATTERNS: readonly RegExp[] = [
  /https:\/\/hooks\.slack\.com\/[^\s"'<>]*/g,
  /https?:\/\/[^\s"'<>]*\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/[A-Za-z0-9]+/g,
  /\b(?:secret|ntn)_[A-Za-z0-9]{20,}\b/g,
  /\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{8,}/g,
];

const knownSecrets = new Set<string>();

/** Registers a secret value (read from Secrets Manager or env) so it is masked wherever it appears. */
export function registerSecret(value: string | undefined): void {
  // Very short values would mask ordinary words; real secrets are long.
  if (value && value.length >= 8) knownSecrets.add(value);
}

export function redactText(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const pattern of PATTERNS) out = out.replace(pattern, REDACTED);
  return out;
}

/** Deep-copies a JSON-like value with every string scrubbed. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    const extra = value as Error & { statusCode?: unknown; code?: unknown; retryable?: unknown };
    return {
      type: value.name,
      message: redactText(value.message),
      stack: value.stack === undefined ? undefined : redactText(value.stack),
      statusCode: extra.statusCode,
      code: extra.code,
      retryable: extra.retryable,
      cause: value.cause === undefined ? undefined : redactValue(value.cause, depth + 1),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, depth + 1);
  return out;
}
