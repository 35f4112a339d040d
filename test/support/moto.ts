/**
 * moto's server as the AWS API for tests: installed on first use into the project-local virtualenv
 * `.venv` (pinned in test/requirements.txt), started once per mocha run on a free loopback port,
 * reset between specs, stopped when the process exits.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";

const ROOT = resolve(__dirname, "..", "..");
const VENV = join(ROOT, ".venv");
const REQUIREMENTS = join(ROOT, "test", "requirements.txt");
const STAMP = join(VENV, ".requirements.sha256");

export const MOTO_REGION = "us-east-1";

export interface Moto {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  /** Environment for the AWS SDK (and child processes) pointing at this server. */
  readonly env: Record<string, string>;
  /** Drops every resource moto holds. */
  reset(): Promise<void>;
}

function python(): string {
  for (const candidate of ["python3", "python"]) {
    try {
      execFileSync(candidate, ["--version"], { stdio: "ignore" });
      return candidate;
    } catch {
      // try the next name
    }
  }
  throw new Error("Python 3 is needed for the AWS emulator (moto): install python3 and python3-venv");
}

/** Creates or refreshes .venv when test/requirements.txt changed. Idempotent and fast when current. */
export function ensureVenv(): string {
  const wanted = createHash("sha256").update(readFileSync(REQUIREMENTS)).digest("hex");
  const server = join(VENV, "bin", "moto_server");
  if (existsSync(server) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === wanted) return VENV;
  process.stderr.write("[moto] installing the pinned AWS emulator into .venv (first run only)…\n");
  if (!existsSync(join(VENV, "bin", "pip")))
    execFileSync(python(), ["-m", "venv", VENV], { stdio: "inherit" });
  execFileSync(
    join(VENV, "bin", "pip"),
    ["install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS],
    {
      stdio: "inherit",
    },
  );
  writeFileSync(STAMP, wanted);
  return VENV;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited early (${child.exitCode}): ${stderr()}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer within 60 s: ${stderr()}`);
}

let running: Promise<Moto> | undefined;

async function start(): Promise<Moto> {
  ensureVenv();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(join(VENV, "bin", "moto_server"), ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, MOTO_PORT: String(port) },
  });
  let errText = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errText = (errText + chunk.toString()).slice(-4000);
  });
  process.once("exit", () => child.kill("SIGKILL"));
  await waitUntilUp(endpoint, child, () => errText);
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: MOTO_REGION,
    AWS_DEFAULT_REGION: MOTO_REGION,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
  };
  return {
    endpoint,
    env,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
  };
}

/**
 * The shared moto server, started on first call. Also points this process's AWS SDK at it
 * (AWS_ENDPOINT_URL and fake credentials), so runtime code runs unchanged.
 */
export async function useMoto(): Promise<Moto> {
  running ??= start();
  const moto = await running;
  Object.assign(process.env, moto.env);
  return moto;
}
