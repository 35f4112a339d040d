/**
 * `npm run gen:config`: writes, from the settings declaration (runtime/settings/declaration.ts),
 * Pulumi.yaml's `config:` block and the two configuration tables of docs/configuration.md (stack
 * keys, runtime environment variables), each between its BEGIN/END GENERATED markers. `--check`
 * writes nothing and fails when a file is out of date; test/config-generated.spec.ts does the same
 * in memory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  RUNTIME_VARIABLES,
  SETTING_KEYS,
  SETTINGS,
  type EnvVar,
  type SettingKey,
  type SettingSpec,
} from "../runtime/settings/declaration";

export const ROOT = path.resolve(__dirname, "..");

/** A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON is YAML). */
export function yamlScalar(value: string): string {
  const plain =
    /^[A-Za-z0-9(][^\n]*$/.test(value) &&
    !/: |\s#|:$|\s$/.test(value) &&
    !/^(true|false|null|yes|no|on|off|~|[-+]?[0-9.]+(e[-+]?\d+)?)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}

function yamlType(spec: SettingSpec): string {
  if (spec.type === "list") return "array";
  // Pulumi config has no decimal type: a fraction is declared as a string and parsed by config.ts.
  if (spec.type === "number") return "string";
  return spec.type;
}

function yamlDefault(spec: SettingSpec): string | undefined {
  const value = spec.default;
  if (spec.secret || spec.required) return undefined;
  if (value === undefined) {
    // Unset text and lists read as empty; a number or a flag without a default stays unset.
    if (spec.type === "string") return '""';
    if (spec.type === "list") return "[]";
    return undefined;
  }
  if (Array.isArray(value)) return value.length === 0 ? "[]" : JSON.stringify(value);
  if (spec.type === "number") return JSON.stringify(String(value));
  if (typeof value === "string") return value === "" ? '""' : yamlScalar(value);
  return String(value);
}

/** Pulumi.yaml's `config:` block. */
export function pulumiConfigBlock(): string {
  const lines = [
    "config:",
    "  # Secrets: set with `pulumi config set --secret <key> <value>`; stored encrypted, put in AWS Secrets Manager.",
  ];
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    lines.push(`  ${key}:`, `    type: ${yamlType(spec)}`);
    if (spec.type === "list") lines.push("    items:", "      type: string");
    if (spec.secret) lines.push("    secret: true");
    lines.push(`    description: ${yamlScalar(spec.description)}`);
    const fallback = yamlDefault(spec);
    if (fallback !== undefined) lines.push(`    default: ${fallback}`);
  }
  return lines.join("\n");
}

const code = (value: string): string => `\`${value}\``;
const cell = (value: string): string => value.replaceAll("|", "\\|");

function typeText(spec: SettingSpec): string {
  const range = spec.range ? ` ${spec.range.min}–${spec.range.max}` : "";
  if (spec.type === "list") return "list";
  return `${spec.type}${range}`;
}

function defaultText(spec: SettingSpec): string {
  if (spec.required) return "required";
  if (spec.defaultText) return spec.defaultText;
  const value = spec.default;
  if (value === undefined) return "unset";
  if (Array.isArray(value)) return code(JSON.stringify(value));
  return code(String(value));
}

function variablesText(spec: SettingSpec): string {
  const names = [spec.env?.name, spec.arnEnv?.name].filter((name) => name !== undefined);
  return names.length === 0 ? "—" : names.map(code).join(" / ");
}

/** The table of stack keys (docs/configuration.md). */
export function readmeConfigTable(): string {
  const rows = SETTING_KEYS.map((key: SettingKey) => {
    const spec: SettingSpec = SETTINGS[key];
    const cells = [
      code(key),
      typeText(spec),
      defaultText(spec),
      spec.secret ? "yes" : "no",
      variablesText(spec),
      spec.description,
    ];
    return `| ${cells.map(cell).join(" | ")} |`;
  });
  return [
    "| key | type | default | secret | variable | description |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

const CONSUMERS = { task: "ECS task", slack: "Slack Lambda", notion: "Notion Lambda" } as const;

function providedText(variable: Omit<EnvVar, "name">): string {
  const given = (Object.keys(CONSUMERS) as (keyof typeof CONSUMERS)[])
    .filter((consumer) => variable[consumer] !== undefined)
    .map((consumer) => `${CONSUMERS[consumer]} (${variable[consumer] ?? ""})`);
  const parts = [...given];
  if (variable.setBy) parts.push(`set by ${variable.setBy}`);
  if (variable.unset)
    parts.push(`${given.length > 0 ? "elsewhere" : "not set by the program"}: ${variable.unset}`);
  return parts.join("; ");
}

/** The table of runtime environment variables (docs/configuration.md). */
export function readmeEnvTable(): string {
  const rows: string[][] = [];
  for (const key of SETTING_KEYS) {
    const spec: SettingSpec = SETTINGS[key];
    if (spec.env) {
      const runtimeDefault = spec.env.runtime?.default;
      const fallback =
        spec.required !== undefined
          ? "required"
          : runtimeDefault !== undefined
            ? code(String(runtimeDefault))
            : spec.default !== undefined && !(Array.isArray(spec.default) && spec.default.length === 0)
              ? code(String(spec.default))
              : (spec.defaultText ?? "—");
      // The runtime may accept a wider range than the stack key (local runs): say which one it reads.
      const runtimeRange = spec.range
        ? ` (${spec.env.runtime?.min ?? spec.range.min}–${spec.env.runtime?.max ?? spec.range.max})`
        : "";
      rows.push([
        code(spec.env.name),
        `${fallback}${runtimeRange}`,
        `${code(key)}: ${spec.description}`,
        providedText(spec.env),
      ]);
    }
    if (spec.arnEnv) {
      rows.push([
        code(spec.arnEnv.name),
        "—",
        `Secrets Manager ARN of ${code(key)} (read at cold start)`,
        providedText(spec.arnEnv),
      ]);
    }
  }
  for (const [name, variable] of Object.entries(RUNTIME_VARIABLES)) {
    rows.push([code(name), variable.default, variable.description, providedText(variable)]);
  }
  return [
    "| variable | default (range) | meaning | provided to |",
    "|---|---|---|---|",
    ...rows.map((cells) => `| ${cells.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** `text` with what lies between the `name` markers replaced by `content`. */
export function replaceBetween(text: string, name: string, content: string, comment: "md" | "yaml"): string {
  const [begin, end] =
    comment === "md"
      ? [`<!-- BEGIN GENERATED: ${name} (npm run gen:config) -->`, `<!-- END GENERATED: ${name} -->`]
      : [`# BEGIN GENERATED: ${name} (npm run gen:config)`, `# END GENERATED: ${name}`];
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`markers "${begin}" … "${end}" not found`);
  return `${text.slice(0, from + begin.length)}\n${content}\n${text.slice(to)}`;
}

/** The generated files, from their current text. */
export function generate(current: { readonly pulumiYaml: string; readonly configDoc: string }): {
  pulumiYaml: string;
  configDoc: string;
} {
  const configDoc = replaceBetween(
    replaceBetween(current.configDoc, "config", readmeConfigTable(), "md"),
    "environment",
    readmeEnvTable(),
    "md",
  );
  return { pulumiYaml: replaceBetween(current.pulumiYaml, "config", pulumiConfigBlock(), "yaml"), configDoc };
}

export const FILES = { pulumiYaml: "Pulumi.yaml", configDoc: "docs/configuration.md" } as const;

function main(): void {
  const check = process.argv.includes("--check");
  const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
  const current = { pulumiYaml: read(FILES.pulumiYaml), configDoc: read(FILES.configDoc) };
  const next = generate(current);
  let stale = 0;
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    if (next[key] === current[key]) continue;
    stale += 1;
    if (check) console.error(`${FILES[key]} is out of date: run npm run gen:config`);
    else fs.writeFileSync(path.join(ROOT, FILES[key]), next[key]);
  }
  if (!check) console.log(stale === 0 ? "up to date" : `wrote ${stale} file(s)`);
  if (check && stale > 0) process.exit(1);
}

if (require.main === module) main();
