/**
 * The container image without a Docker engine: parse the Dockerfile, perform its build stage in a
 * temp directory (its COPY and RUN steps, in order), assemble the runtime stage from what that
 * stage copies, and start ENTRYPOINT + CMD there as the image would, probing it with the image's
 * own HEALTHCHECK command. Anything in the Dockerfile this spec does not know how to perform fails
 * it, so the two cannot drift apart.
 *
 * One stand-in: `npm ci` needs the registry, which a test must not depend on, so that step copies
 * the node_modules that `npm ci` installed from the same package-lock.json into the build stage.
 * The build and prune steps then run exactly as written.
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "..");
const run = promisify(execFile);
const API_TOKEN = "sentinel-api-token-image-5b7d9f1a3c";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** Dockerfile instructions by stage: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    lines.push(`${pending}${line}`.trim());
    pending = "";
  }
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      const [, from = "", name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    assert.ok(stage, `${keyword} before FROM`);
    stage.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

/** `--flag=value` options, then the rest. */
function options(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const match = /^--([a-z-]+)=(\S+)\s+/.exec(rest);
    if (!match) return { flags, rest };
    flags[match[1]!] = match[2]!;
    rest = rest.slice(match[0].length);
  }
}

function execForm(text: string): string[] {
  const value = JSON.parse(text) as unknown;
  assert.ok(Array.isArray(value) && value.every((v) => typeof v === "string"), `not exec form: ${text}`);
  return value as string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** `node` in the image is Node 22: the one running this spec. */
function nodeFirst(argv: readonly string[]): [string, string[]] {
  const [command, ...args] = argv;
  assert.equal(command, "node", `the image runs node directly, not ${command}`);
  return [process.execPath, args];
}

describe("container image (Dockerfile performed without Docker)", function () {
  this.timeout(180_000);
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const stages = parseDockerfile(dockerfile);
  const [build, final] = stages;
  let work: string;
  let buildDir: string;
  let imageDir: string;
  const env: Record<string, string> = {};
  let workdir = "";
  let user = "";
  let healthcheck: string[] = [];
  let entrypoint: string[] = [];
  let cmd: string[] = [];
  const runSteps: string[] = [];
  let service: ChildProcess | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "drox-image-"));
    buildDir = join(work, "build");
    imageDir = join(work, "image");
    assert.ok(build && final && stages.length === 2, "two stages: build and runtime");

    const toolPath = [
      join(buildDir, "node_modules", ".bin"),
      dirname(process.execPath),
      process.env.PATH,
    ].join(":");
    for (const { keyword, args } of build.instructions) {
      if (keyword === "WORKDIR") {
        assert.equal(args, "/app");
      } else if (keyword === "COPY") {
        const parts = args.split(/\s+/);
        const dest = parts.pop()!;
        for (const source of parts) {
          const target = dest.endsWith("/") ? join(buildDir, dest, source) : join(buildDir, dest);
          cpSync(join(ROOT, source), target, { recursive: true });
        }
      } else if (keyword === "RUN") {
        runSteps.push(args);
        if (/^npm ci(\s|$)/.test(args)) {
          cpSync(join(ROOT, "node_modules"), join(buildDir, "node_modules"), {
            recursive: true,
            verbatimSymlinks: true,
          });
        } else {
          await run("sh", ["-c", args], {
            cwd: buildDir,
            env: { ...process.env, PATH: toolPath, CI: "true" },
            maxBuffer: 16 * 1024 * 1024,
          });
        }
      } else {
        assert.fail(
          `the spec cannot perform build-stage ${keyword}; teach it, or keep the Dockerfile simple`,
        );
      }
    }

    for (const { keyword, args } of final.instructions) {
      if (keyword === "ENV") {
        for (const pair of args.split(/\s+/)) {
          const at = pair.indexOf("=");
          env[pair.slice(0, at)] = pair.slice(at + 1);
        }
      } else if (keyword === "WORKDIR") {
        workdir = args;
      } else if (keyword === "COPY") {
        const { flags, rest } = options(args);
        assert.equal(flags.from, build.name, "the runtime stage copies only from the build stage");
        const [source = "", dest = "", ...extra] = rest.split(/\s+/);
        assert.deepEqual(extra, []);
        assert.ok(source.startsWith(`${workdir}/`), `${source} comes from the build stage's WORKDIR`);
        // Hard links: both directories are this spec's own, and the image needs no copy of its own.
        mkdirSync(dirname(join(imageDir, dest)), { recursive: true });
        await run("cp", ["-al", join(buildDir, source.slice(workdir.length + 1)), join(imageDir, dest)]);
      } else if (keyword === "USER") {
        user = args;
      } else if (keyword === "HEALTHCHECK") {
        const { rest } = options(args);
        assert.match(rest, /^CMD\s+\[/);
        healthcheck = execForm(rest.replace(/^CMD\s+/, ""));
      } else if (keyword === "ENTRYPOINT") {
        entrypoint = execForm(args);
      } else if (keyword === "CMD") {
        cmd = execForm(args);
      } else {
        assert.equal(keyword, "EXPOSE", `the spec cannot perform runtime-stage ${keyword}`);
        assert.equal(args, env.PORT, "EXPOSE matches the default PORT");
      }
    }
  });

  after(async () => {
    if (service && service.exitCode === null) service.kill("SIGKILL");
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("must build on node:22-slim in two stages: install, build, prune dev dependencies", () => {
    assert.equal(build!.from, "node:22-slim");
    assert.equal(final!.from, "node:22-slim");
    assert.deepEqual(
      runSteps.map((step) => step.split(/\s+/).slice(0, 2).join(" ")),
      ["npm ci", "npm run", "npm prune"],
    );
    assert.match(runSteps[2]!, /--omit=dev/);
  });

  it("must ship only production dependencies and compiled code, as a non-root user", () => {
    assert.ok(existsSync(join(imageDir, "dist", "runtime", "cli.js")));
    assert.ok(existsSync(join(imageDir, "dist", "runtime", "server", "main.js")));
    assert.ok(!existsSync(join(imageDir, "runtime")), "no TypeScript sources in the image");
    // typescript is absent from this list on purpose: @pulumi/pulumi, a production dependency, needs it.
    for (const dev of [
      "mocha",
      "tsx",
      "autocannon",
      "fast-check",
      "prettier",
      "eslint",
      "node",
      "@types/mocha",
      "esbuild",
    ]) {
      assert.ok(!existsSync(join(imageDir, "node_modules", dev)), `dev dependency ${dev} was shipped`);
    }
    for (const prod of [
      "fastify",
      "pino",
      "zod",
      "@aws-sdk/client-sns",
      "@aws-sdk/client-sqs",
      "@aws-sdk/client-scheduler",
      "@aws-sdk/client-ecs",
      "string-width",
      "@slack/webhook",
      "@notionhq/client",
    ]) {
      assert.ok(existsSync(join(imageDir, "node_modules", prod)), `${prod} is missing`);
    }
    assert.equal(user, "node");
    assert.equal(env.NODE_ENV, "production");
  });

  it("must send only the files the build copies as the build context", () => {
    const rules = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    assert.equal(rules[0], "*", "everything is excluded unless listed");
    const allowed = rules.slice(1).map((rule) => {
      assert.match(rule, /^!/);
      return rule.slice(1).replace(/\/$/, "");
    });
    const copied = build!.instructions
      .filter((i) => i.keyword === "COPY")
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    assert.deepEqual([...allowed].sort(), [...copied].sort());
  });

  it("must serve by default, pass its own HEALTHCHECK, run the job commands, and stop cleanly on SIGTERM", async () => {
    assert.deepEqual(entrypoint, ["node", "dist/runtime/cli.js"]);
    assert.deepEqual(cmd, ["serve"]);
    const port = String(await freePort());
    const runtimeEnv = { PATH: process.env.PATH ?? "", ...env, PORT: port, API_TOKEN };

    const [node, args] = nodeFirst([...entrypoint, ...cmd]);
    service = spawn(node, args, { cwd: imageDir, env: runtimeEnv, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    service.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    service.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    // "close", not "exit": the child's last stdout lines may still be unread when it exits.
    const exited = once(service, "close");

    const [probe, probeArgs] = nodeFirst(healthcheck);
    let healthy = false;
    for (let i = 0; i < 100 && !healthy && service.exitCode === null; i++) {
      healthy = await run(probe, probeArgs, { cwd: imageDir, env: runtimeEnv }).then(
        () => true,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(healthy, `HEALTHCHECK never passed: ${output}`);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.deepEqual(await health.json(), { status: "ok" });
    // Slack is not configured here: the API still loads and names the missing setting.
    const slack = await fetch(`http://127.0.0.1:${port}/api/test/slack`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    assert.equal(slack.status, 503);
    assert.match(await slack.text(), /SLACK_WEBHOOK_URL or SLACK_WEBHOOK_SECRET_ARN/);

    // Scheduled tasks override CMD with a job command on the same entrypoint.
    const [cli, cliArgs] = nodeFirst([...entrypoint, "run", "--help"]);
    const help = await run(cli, cliArgs, { cwd: imageDir, env: runtimeEnv });
    assert.match(help.stdout, /ebs\|rds\|s3\|all|"ebs", "rds", "s3", "all"/);

    service.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /"msg":"shut down cleanly"/);
    assert.ok(!output.includes(API_TOKEN));
  });
});
