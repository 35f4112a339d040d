import * as pulumi from "@pulumi/pulumi";
import { unproxy } from "./values";

/**
 * What a plain-text secret of this system looks like. Kept as strings because they travel through
 * the policy config (JSON) like any user-supplied pattern.
 */
export const DEFAULT_SECRET_PATTERNS: Readonly<Record<string, string>> = {
  "Slack webhook URL":
    "https://hooks\\.slack(?:-gov)?\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{8,}",
  "Slack token": "\\bxox[abposr]-[A-Za-z0-9-]{10,}",
  "Notion integration token": "\\b(?:secret_[A-Za-z0-9]{40,}|ntn_[A-Za-z0-9]{40,})\\b",
};

export interface SecretMatch {
  kind: string;
  path: string;
}

export function compilePatterns(patterns: Record<string, string>): [string, RegExp][] {
  return Object.entries(patterns).map(([kind, source]) => [kind, new RegExp(source)]);
}

/**
 * Where among `strings` a secret-looking value sits. Only the kind and the path come back: a
 * violation message must not print the secret it found.
 */
export function findSecrets(
  strings: { path: string; value: string }[],
  patterns: [string, RegExp][],
): SecretMatch[] {
  const found: SecretMatch[] = [];
  for (const { path, value } of strings) {
    const hit = patterns.find(([, re]) => re.test(value));
    if (hit) {
      found.push({ kind: hit[0], path });
    }
  }
  return found;
}

/**
 * The text an archive carries to the policy. A CallbackFunction's serialized closure arrives as a
 * text asset (`__index.js`); file assets and archives arrive as paths only, so their contents are
 * not visible to a policy.
 */
export async function archiveTexts(
  archive: unknown,
  prefix: string,
): Promise<{ path: string; value: string }[]> {
  const raw = unproxy(archive);
  // isInstance only tells assets from archives; the kind is told by the field it carries.
  if (pulumi.asset.Archive.isInstance(raw) && "assets" in raw) {
    const assets = await (raw as pulumi.asset.AssetArchive).assets;
    const nested = await Promise.all(
      Object.entries(assets).map(([name, entry]) => archiveTexts(entry, `${prefix}${name}`)),
    );
    return nested.flat();
  }
  if (pulumi.asset.Asset.isInstance(raw) && "text" in raw) {
    return [{ path: prefix, value: await (raw as pulumi.asset.StringAsset).text }];
  }
  return [];
}
