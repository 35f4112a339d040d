/**
 * Notion ids as users paste them: a bare 32-hex id, the dashed UUID form, or the database URL
 * copied from "Copy link to view" (`https://www.notion.so/workspace/Backup-Log-<id>?v=<view>`).
 * Deliberately free of heavy imports: the Pulumi program's config.ts validates the same input.
 */
import { ConfigError } from "../contract/errors";

const HEX32 = /^[0-9a-f]{32}$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `abc…` (32 hex) → `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case. */
export function toDashedId(hex32: string): string {
  const h = hex32.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The 32-hex id (lower case, no dashes) in `input`, or undefined when there is none.
 * In a URL only the path counts: the `?v=` query holds the *view* id, which is not the database.
 */
export function parseNotionId(input: string): string | undefined {
  const text = input.trim();
  if (HEX32.test(text)) return text.toLowerCase();
  if (UUID.test(text)) return text.replace(/-/g, "").toLowerCase();
  let path: string;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    if (!/(^|\.)notion\.(so|site|com)$/i.test(url.hostname)) return undefined;
    path = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  // The id is the last path segment, alone or after the page's title slug ("Backup-Log-<id>").
  const last = path.split("/").filter(Boolean).pop() ?? "";
  const dashed = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(last);
  if (dashed?.[1]) return dashed[1].replace(/-/g, "").toLowerCase();
  const compact = /(?:^|-)([0-9a-f]{32})$/i.exec(last);
  // Stryker disable next-line OptionalChaining: a match always has its one group
  return compact?.[1]?.toLowerCase();
}

/** Like parseNotionId, but a ConfigError naming the variable (or config key) when there is no id. */
export function requireNotionId(input: string | undefined, name: string): string {
  if (input === undefined || input.trim() === "") {
    throw new ConfigError(`${name} must be set to the Notion database id or its URL`);
  }
  const id = parseNotionId(input);
  if (!id) {
    throw new ConfigError(
      `${name} is not a Notion database id: expected 32 hex characters (with or without dashes) or the ` +
        `database URL from "Copy link to view", e.g. https://www.notion.so/workspace/Backup-Log-<32 hex>?v=…`,
    );
  }
  return id;
}
