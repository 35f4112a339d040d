/**
 * Regenerates taggable-types.json from the installed @pulumi/aws: a resource is taggable when the
 * provider computes `tagsAll` for it. Run after upgrading @pulumi/aws:
 *   npx tsx policy/lib/generate-taggable-types.ts
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

const root = path.dirname(require.resolve("@pulumi/aws/package.json"));
const types: string[] = [];
for (const dir of readdirSync(root, { withFileTypes: true })) {
  if (!dir.isDirectory() || dir.name === "node_modules" || dir.name === "types") {
    continue;
  }
  for (const file of readdirSync(path.join(root, dir.name)).filter((f) => f.endsWith(".js"))) {
    const source = readFileSync(path.join(root, dir.name, file), "utf8");
    const type = /__pulumiType = '([^']+)'/.exec(source)?.[1];
    if (type !== undefined && source.includes('resourceInputs["tagsAll"]')) {
      types.push(type);
    }
  }
}
types.sort();
const out = path.join(__dirname, "taggable-types.json");
writeFileSync(out, `${JSON.stringify(types, null, 1)}\n`);
console.log(`${types.length} taggable resource types → ${path.relative(process.cwd(), out)}`);
