/**
 * Every relative link and #anchor in README.md and docs/*.md must resolve: the README was split
 * into docs/ (issue 17), and a moved section silently breaks the links that pointed at it. Anchors
 * follow GitHub's rules for heading ids: lower-case, punctuation dropped (letters of any script,
 * digits, '-' and '_' kept), each space a '-', and a repeated heading suffixed -1, -2, …
 * (https://docs.github.com/en/get-started/writing-on-github/getting-started-with-writing-and-formatting-on-github/basic-writing-and-formatting-syntax#section-links).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../runtime/cli";
import { SETTING_KEYS } from "../runtime/settings/declaration";

const ROOT = path.resolve(__dirname, "..");

/** The markdown files whose links are checked. */
function documents(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => path.join("docs", name));
  return ["README.md", "DEVELOPERS.md", ...docs.sort()];
}

/** The text outside fenced code blocks and inline code, where links and headings live. */
function prose(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      out.push("");
      continue;
    }
    out.push(fenced ? "" : line);
  }
  return out;
}

/** GitHub's id of a heading's text. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link reads as its text
    .replace(/<[^>]+>/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, "").replace(/ /g, "-");
}

/** The anchors a file defines, duplicates numbered as GitHub numbers them. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(fs.readFileSync(path.join(ROOT, file), "utf8"))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1] ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

function links(file: string): Link[] {
  const found: Link[] = [];
  prose(fs.readFileSync(path.join(ROOT, file), "utf8")).forEach((text, index) => {
    const code = text.replace(/`[^`]*`/g, "");
    for (const match of code.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      found.push({ file, line: index + 1, target: match[1] ?? "" });
    }
  });
  return found;
}

/** Why a link does not resolve, or undefined when it does. */
function problem(link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined; // https:, mailto:
  const [pathPart = "", anchor] = link.target.split("#", 2);
  const target = pathPart === "" ? link.file : path.normalize(path.join(path.dirname(link.file), pathPart));
  if (target.startsWith("..")) return `${link.target} leaves the repository`;
  if (!fs.existsSync(path.join(ROOT, target))) return `${target} does not exist`;
  if (anchor === undefined) return undefined;
  if (!target.endsWith(".md")) return `${link.target}: an anchor into a file that is not markdown`;
  const wanted = decodeURIComponent(anchor);
  return anchors(target).has(wanted) ? undefined : `${target} has no heading #${wanted}`;
}

describe("docs: links", () => {
  it("must compute anchors as GitHub does, Korean and punctuation included", () => {
    assert.equal(slug("Try it locally (no AWS account)"), "try-it-locally-no-aws-account");
    assert.equal(
      slug('Notion: integration and the "백업 로그" database'),
      "notion-integration-and-the-백업-로그-database",
    );
    assert.equal(slug("Troubleshooting: `drox-backup doctor`"), "troubleshooting-drox-backup-doctor");
    assert.equal(slug("Yesterday's runs"), "yesterdays-runs");
    assert.equal(slug("Slack: app, webhooks, channels"), "slack-app-webhooks-channels");
  });

  it("must find a broken link and a missing anchor (the check itself can fail)", () => {
    assert.match(
      problem({ file: "README.md", line: 1, target: "docs/nothing-here.md" }) ?? "",
      /does not exist/,
    );
    assert.match(problem({ file: "README.md", line: 1, target: "#no-such-heading" }) ?? "", /has no heading/);
    assert.equal(problem({ file: "README.md", line: 1, target: "https://example.com/#x" }), undefined);
  });

  it("must resolve every relative link and #anchor in README.md, DEVELOPERS.md and docs/*.md", () => {
    const files = documents();
    assert.ok(files.includes("docs/configuration.md"), "docs/configuration.md holds the generated tables");
    const broken = files
      .flatMap(links)
      .map((link) => ({ link, why: problem(link) }))
      .filter((entry) => entry.why !== undefined)
      .map(({ link, why }) => `${link.file}:${link.line}: ${why ?? ""}`);
    assert.deepEqual(broken, []);
  });

  it("must link every file in docs/ from the README, so nothing moved there is lost", () => {
    const targets = new Set(links("README.md").map((link) => link.target.split("#")[0]));
    const unlinked = documents()
      .filter((file) => file.startsWith("docs/"))
      .filter((file) => !targets.has(file));
    assert.deepEqual(unlinked, []);
  });
});

/** The places a command is written: each line of a fenced block, each inline code span elsewhere. */
function commandTexts(file: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  let fenced = false;
  fs.readFileSync(path.join(ROOT, file), "utf8")
    .split("\n")
    .forEach((text, index) => {
      if (/^\s*```/.test(text)) {
        fenced = !fenced;
        return;
      }
      if (fenced) found.push({ line: index + 1, text: text.replace(/\s#\s.*$/, "") });
      else
        for (const span of text.matchAll(/`([^`]+)`/g)) found.push({ line: index + 1, text: span[1] ?? "" });
    });
  return found;
}

/** Why a `drox-backup …` invocation names a command or flag the CLI does not have. */
function commandProblems(program: Command, text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(/drox-backup ([a-z][a-z-]*)((?: [^|;&]*)?)/g)) {
    const [, name = "", rest = ""] = match;
    const command = program.commands.find((c) => c.name() === name);
    if (!command) {
      problems.push(`no command "${name}"`);
      continue;
    }
    const words = rest.trim().split(/\s+/);
    const sub = command.commands.find((c) => c.name() === words[0]);
    if (command.commands.length > 0 && !sub && /^[a-z]+$/.test(words[0] ?? "")) {
      problems.push(`no command "${name} ${words[0] ?? ""}"`);
      continue;
    }
    const target = sub ?? command;
    const flags = new Set([...target.options.map((o) => o.long), "--help"]);
    for (const flag of rest.matchAll(/(?:^|\s|\[)(--[a-z][a-z-]*)/g)) {
      if (!flags.has(flag[1]))
        problems.push(`"${name}${sub ? ` ${sub.name()}` : ""}" has no ${flag[1] ?? ""}`);
    }
  }
  return problems;
}

/** The CLI's commands and options, built without touching the process's streams or environment. */
function cliProgram(): Command {
  return buildProgram({ out: () => undefined, err: () => undefined, isTTY: false, env: {}, exitCode: 0 });
}

describe("docs: commands", () => {
  const scripts = Object.keys(
    (
      JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts,
  );

  it("must catch a command or flag the CLI does not have (the check itself can fail)", () => {
    const program = cliProgram();
    assert.deepEqual(commandProblems(program, "npx drox-backup history --since 7d --json"), []);
    assert.deepEqual(commandProblems(program, "drox-backup restore s3 --source a --to b --dry-run"), []);
    assert.deepEqual(commandProblems(program, "drox-backup redrive --queue slack --retry"), [
      '"redrive" has no --retry',
    ]);
    assert.deepEqual(commandProblems(program, "drox-backup restore efs --snapshot x"), [
      'no command "restore efs"',
    ]);
    assert.deepEqual(commandProblems(program, "drox-backup rerun ebs"), ['no command "rerun"']);
  });

  it("must name only drox-backup commands and flags that exist, in README.md and docs/*.md", () => {
    const program = cliProgram();
    const wrong = documents().flatMap((file) =>
      commandTexts(file).flatMap(({ line, text }) =>
        commandProblems(program, text).map((why) => `${file}:${line}: ${why}`),
      ),
    );
    assert.deepEqual(wrong, []);
  });

  it("must name only npm scripts that package.json has", () => {
    const wrong = documents().flatMap((file) =>
      [...fs.readFileSync(path.join(ROOT, file), "utf8").matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)]
        .map((match) => match[1] ?? "")
        .filter((name) => !scripts.includes(name))
        .map((name) => `${file}: npm run ${name}`),
    );
    assert.deepEqual(wrong, []);
  });

  it("must name only config keys the settings declaration has in pulumi config commands", () => {
    const keys = new Set<string>([...SETTING_KEYS, "aws:region"]);
    const wrong = documents().flatMap((file) =>
      [
        ...fs
          .readFileSync(path.join(ROOT, file), "utf8")
          .matchAll(/pulumi config (?:set|get|rm)(?: --[a-z]+)* '?([A-Za-z][A-Za-z0-9:]*)/g),
      ]
        .map((match) => match[1] ?? "")
        .filter((key) => !keys.has(key))
        .map((key) => `${file}: pulumi config … ${key}`),
    );
    assert.deepEqual(wrong, []);
  });

  it("must document every stack output index.ts exports, in docs/configuration.md", () => {
    const program = fs.readFileSync(path.join(ROOT, "index.ts"), "utf8");
    const outputs = [...program.matchAll(/^export const (\w+)/gm)].map((match) => match[1] ?? "");
    assert.ok(outputs.includes("serviceUrl") && outputs.includes("schedulesDlqUrl"), outputs.join(", "));
    const doc = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");
    const section = doc.slice(
      doc.indexOf("## Stack outputs"),
      doc.indexOf("## Runtime environment variables"),
    );
    assert.deepEqual(
      outputs.filter((name) => !section.includes(`\`${name}\``)),
      [],
    );
  });

  it("must document every HTTP route the service registers, in docs/http-api.md", () => {
    const folder = path.join(ROOT, "runtime/server/routes");
    const routes = fs
      .readdirSync(folder)
      .filter((name) => name.endsWith(".ts"))
      .flatMap((name) => [
        ...fs
          .readFileSync(path.join(folder, name), "utf8")
          .matchAll(/app\.(get|post|put|patch|delete)(?:<[^>]*>)?\(\s*"([^"]+)"/g),
      ])
      .map((match) => `${(match[1] ?? "").toUpperCase()} ${match[2] ?? ""}`);
    assert.ok(routes.includes("GET /health") && routes.includes("POST /api/backups/run"), routes.join(", "));
    const doc = fs.readFileSync(path.join(ROOT, "docs/http-api.md"), "utf8");
    assert.deepEqual(
      routes.filter((route) => !doc.includes(`| \`${route}`)),
      [],
    );
  });
});
