/**
 * Prints, as canonical JSON, every resource the program registers under mocks for a stack: type,
 * name, parent and every input (secrets shown as "[secret]", assets by their path or text). Two
 * runs of it diff cleanly, which is how a refactoring proves the program registers the same
 * resources with the same inputs: run it before and after, then `diff` the files.
 *
 * Usage: npx tsx scripts/registrations.ts --stack dev [--config extra.json] > dev.json
 * `--config` merges a JSON object of config keys over the stack file (and the test secrets).
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { isSecretValue, runProgram, stackConfigWithSecrets } from "../test/support/pulumi-mocks";

async function canonical(value: unknown): Promise<unknown> {
  if (isSecretValue(value)) return "[secret]";
  if (value instanceof Promise) return canonical(await value);
  if (pulumi.asset.Asset.isInstance(value)) {
    const asset = value as unknown as { text?: Promise<string>; path?: Promise<string> };
    return { asset: asset.text ? await asset.text : asset.path ? await asset.path : "?" };
  }
  if (pulumi.asset.Archive.isInstance(value)) {
    const archive = value as unknown as { assets?: Promise<Record<string, unknown>>; path?: Promise<string> };
    if (archive.path) return { archive: await archive.path };
    return { archive: await canonical(await archive.assets) };
  }
  if (Array.isArray(value)) return Promise.all((value as unknown[]).map(canonical));
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    const out: Record<string, unknown> = {};
    for (const [key, child] of entries) out[key] = await canonical(child);
    return out;
  }
  return value;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const stack = option("--stack") ?? "dev";
  const extraFile = option("--config");
  const extra = extraFile ? (JSON.parse(fs.readFileSync(extraFile, "utf8")) as Record<string, string>) : {};
  const run = await runProgram({ stack, config: stackConfigWithSecrets(stack, extra) });
  const resources = [];
  for (const r of run.resources) {
    resources.push({
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      inputs: await canonical(r.inputs),
    });
  }
  resources.sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
  console.log(
    JSON.stringify({ stack, resources, outputs: await canonical(run.outputs), logs: run.logs }, null, 1),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
