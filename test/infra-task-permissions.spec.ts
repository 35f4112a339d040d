/**
 * IAM vs. the code that runs under it. moto does not enforce IAM, so a job calling an S3 API its
 * role lacks passes every runtime test and fails in AWS. This spec reads the runtime's sources
 * (TypeScript's parser, no regexes over code), collects every AWS SDK v3 command, paginator and
 * waiter the ECS task and the Lambdas can reach from their entry points, maps each to the IAM
 * actions it needs (the table below), and checks the deployed roles grant them on the resources the
 * code touches — and grant nothing else. A new SDK call without a row in the table fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { RDS_SNAPSHOT_PREFIX } from "../components/task-permissions";
import { HISTORY_INDEX } from "../runtime/history/dynamodb";
import { snapshotIdentifier } from "../runtime/jobs/rds";
import {
  ACCOUNT_ID,
  byName,
  cachedRun,
  ofType,
  policyOf,
  REGION,
  ROOT,
  stackConfig,
  type ProgramRun,
} from "./support/pulumi-mocks";

/** What a call touches; resolved to sample ARNs per stack below. */
type Target =
  | "*"
  | "ec2Volume"
  | "ec2Snapshot"
  | "rdsInstance"
  | "rdsSnapshot"
  | "backupBucket"
  | "backupObject"
  | "sourceBucket"
  | "sourceObject"
  | "taggedBucket"
  | "eventsTopic"
  | "historyTable"
  | "historyIndex"
  | "ownSecrets"
  | "s3BatchJob"
  | "s3BatchRole";

interface Need {
  readonly action: string;
  readonly on: Target;
  /** Only called when targets are selected by tag (BACKUP_TAG set). */
  readonly onlyWithBackupTag?: true;
}
const need = (action: string, on: Target): Need => ({ action, on });
const describeAny = (action: string): Need[] => [need(action, "*")];

/**
 * SDK export → the IAM actions it needs (Service Authorization Reference, each API's
 * "Permissions" section). Tags written with a create/copy call need the tagging action too.
 */
const NEEDS: Readonly<Record<string, readonly Need[]>> = {
  // EC2
  CreateSnapshotCommand: [
    need("ec2:CreateSnapshot", "ec2Volume"),
    need("ec2:CreateSnapshot", "ec2Snapshot"),
    need("ec2:CreateTags", "ec2Snapshot"),
  ],
  CopySnapshotCommand: [need("ec2:CopySnapshot", "ec2Snapshot"), need("ec2:CreateTags", "ec2Snapshot")],
  DeleteSnapshotCommand: [need("ec2:DeleteSnapshot", "ec2Snapshot")],
  DescribeSnapshotsCommand: describeAny("ec2:DescribeSnapshots"),
  paginateDescribeSnapshots: describeAny("ec2:DescribeSnapshots"),
  waitUntilSnapshotCompleted: describeAny("ec2:DescribeSnapshots"),
  DescribeVolumesCommand: describeAny("ec2:DescribeVolumes"),
  paginateDescribeVolumes: describeAny("ec2:DescribeVolumes"),
  // RDS
  CreateDBSnapshotCommand: [
    need("rds:CreateDBSnapshot", "rdsInstance"),
    need("rds:CreateDBSnapshot", "rdsSnapshot"),
    need("rds:AddTagsToResource", "rdsSnapshot"),
  ],
  CopyDBSnapshotCommand: [
    need("rds:CopyDBSnapshot", "rdsSnapshot"),
    need("rds:AddTagsToResource", "rdsSnapshot"),
  ],
  DeleteDBSnapshotCommand: [need("rds:DeleteDBSnapshot", "rdsSnapshot")],
  DescribeDBSnapshotsCommand: describeAny("rds:DescribeDBSnapshots"),
  paginateDescribeDBSnapshots: describeAny("rds:DescribeDBSnapshots"),
  waitUntilDBSnapshotAvailable: describeAny("rds:DescribeDBSnapshots"),
  DescribeDBInstancesCommand: describeAny("rds:DescribeDBInstances"),
  paginateDescribeDBInstances: describeAny("rds:DescribeDBInstances"),
  // S3: HeadBucket and ListObjectsV2 are s3:ListBucket, HeadObject is s3:GetObject; the sync lists,
  // heads and copies on both sides.
  HeadBucketCommand: [need("s3:ListBucket", "backupBucket"), need("s3:ListBucket", "sourceBucket")],
  ListObjectsV2Command: [need("s3:ListBucket", "backupBucket"), need("s3:ListBucket", "sourceBucket")],
  HeadObjectCommand: [need("s3:GetObject", "backupObject"), need("s3:GetObject", "sourceObject")],
  // TaggingDirective defaults to COPY: the source's tags are read and written with the object.
  CopyObjectCommand: [
    need("s3:GetObject", "sourceObject"),
    need("s3:GetObjectTagging", "sourceObject"),
    need("s3:PutObject", "backupObject"),
    need("s3:PutObjectTagging", "backupObject"),
  ],
  GetObjectTaggingCommand: [need("s3:GetObjectTagging", "sourceObject")],
  // The sync's pairs of ETags (runtime/jobs/s3-etag-pairs.ts): one small object in the backup bucket.
  GetObjectCommand: [need("s3:GetObject", "backupObject")],
  PutObjectCommand: [need("s3:PutObject", "backupObject")],
  CreateMultipartUploadCommand: [
    need("s3:PutObject", "backupObject"),
    need("s3:PutObjectTagging", "backupObject"),
  ],
  UploadPartCopyCommand: [need("s3:GetObject", "sourceObject"), need("s3:PutObject", "backupObject")],
  CompleteMultipartUploadCommand: [need("s3:PutObject", "backupObject")],
  AbortMultipartUploadCommand: [need("s3:AbortMultipartUpload", "backupObject")],
  GetBucketVersioningCommand: [need("s3:GetBucketVersioning", "backupBucket")],
  GetBucketEncryptionCommand: [need("s3:GetEncryptionConfiguration", "backupBucket")],
  GetPublicAccessBlockCommand: [need("s3:GetBucketPublicAccessBlock", "backupBucket")],
  // S3 Batch Operations copy jobs (runtime/jobs/s3-batch.ts): started with the stack's job role.
  CreateJobCommand: [need("s3:CreateJob", "*"), need("iam:PassRole", "s3BatchRole")],
  DescribeJobCommand: [need("s3:DescribeJob", "s3BatchJob")],
  ListBucketsCommand: [{ action: "s3:ListAllMyBuckets", on: "*", onlyWithBackupTag: true }],
  GetBucketTaggingCommand: [{ action: "s3:GetBucketTagging", on: "taggedBucket", onlyWithBackupTag: true }],
  // DynamoDB (lib-dynamodb's document commands); the history is queried through its index.
  PutCommand: [need("dynamodb:PutItem", "historyTable")],
  GetCommand: [need("dynamodb:GetItem", "historyTable")],
  QueryCommand: [need("dynamodb:Query", "historyIndex")],
  // SNS, Secrets Manager
  PublishCommand: [need("sns:Publish", "eventsTopic")],
  GetSecretValueCommand: [need("secretsmanager:GetSecretValue", "ownSecrets")],
};

/**
 * Code under runtime/ that never runs with a deployed role. `drox-backup doctor` checks a user's
 * own credentials and setup from their machine (DescribeTable, GetTopicAttributes, DescribeRegions
 * …): granting those to the task would widen it for a command it never runs (see the test that no
 * ECS command is `doctor`).
 */
const EXCLUDED: Readonly<Record<string, string>> = {
  "runtime/setup/doctor/": "the doctor runs on the operator's machine with their credentials, never in AWS",
  "runtime/restore/": "restores run with the operator's credentials; the task role gets no restore rights",
};
const excluded = (file: string) => Object.keys(EXCLUDED).some((prefix) => file.startsWith(prefix));

/** Actions granted without an SDK call of ours: AWS services use them on the role's behalf. */
const IMPLICIT_PREFIXES = ["kms:"];

const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join("/");
const SDK_CALL = /Command$|^paginate[A-Z]|^waitUntil[A-Z]|^waitFor[A-Z]/;

interface SourceFacts {
  /** SDK exports the file imports as values (commands, paginators, waiters). */
  readonly calls: string[];
  /** Project files it imports (static or dynamic), as paths from the root. */
  readonly imports: string[];
  /** Ways of reaching the SDK this scan cannot see (namespace or dynamic imports). */
  readonly opaque: string[];
}

function resolveModule(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base]) {
    if (candidate.endsWith(".ts") && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function factsOf(file: string): SourceFacts {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const calls: string[] = [];
  const imports: string[] = [];
  const opaque: string[] = [];
  const local = (specifier: string) => {
    if (!specifier.startsWith(".")) return;
    const resolved = resolveModule(file, specifier);
    if (resolved) imports.push(rel(resolved));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const specifier = node.moduleSpecifier.text;
      const clause = node.importClause;
      if (specifier.startsWith("@aws-sdk/") && clause && !clause.isTypeOnly) {
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) opaque.push(`import * from ${specifier}`);
        if (clause.name) opaque.push(`default import from ${specifier}`);
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            const imported = (element.propertyName ?? element.name).text;
            if (!element.isTypeOnly && SDK_CALL.test(imported)) calls.push(imported);
          }
        }
      }
      if (!clause?.isTypeOnly) local(specifier);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (!node.isTypeOnly) local(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1) {
      const [arg] = node.arguments;
      const dynamic =
        node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require");
      if (dynamic && arg && ts.isStringLiteralLike(arg)) {
        if (arg.text.startsWith("@aws-sdk/")) opaque.push(`dynamic import of ${arg.text}`);
        local(arg.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { calls, imports, opaque };
}

function runtimeFiles(dir = path.join(ROOT, "runtime")): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return runtimeFiles(full);
    return entry.name.endsWith(".ts") ? [rel(full)] : [];
  });
}

const facts = new Map<string, SourceFacts>();
const factsFor = (file: string): SourceFacts => {
  let found = facts.get(file);
  if (!found) {
    found = factsOf(path.join(ROOT, file));
    facts.set(file, found);
  }
  return found;
};

/** Files reachable from an entry point through project imports, minus the excluded code. */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || excluded(file)) continue;
    seen.add(file);
    queue.push(...factsFor(file).imports);
  }
  return [...seen].sort();
}

/** SDK calls of the files reachable from an entry point, with the files making each. */
function callsFrom(entry: string): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  for (const file of reachable(entry)) {
    for (const call of factsFor(file).calls) calls.set(call, [...(calls.get(call) ?? []), file]);
  }
  return calls;
}

// --- a minimal evaluator for Allow-only identity policies ---------------------------------------

type PolicyStatement = Record<string, unknown>;
const list = (value: unknown): string[] => ([] as unknown[]).concat(value ?? []).map(String);
const glob = (pattern: string, value: string, flags = "") =>
  new RegExp(
    `^${pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    flags,
  ).test(value);

/** Statements granting an action on a resource. Conditions are checked by the component specs. */
function granting(statements: readonly PolicyStatement[], action: string, resource: string) {
  return statements.filter(
    (st) =>
      st.Effect === "Allow" &&
      list(st.Action).some((a) => glob(a, action, "i")) &&
      list(st.Resource).some((r) => glob(r, resource)),
  );
}

interface Samples {
  readonly [target: string]: readonly string[];
}

const TAGGED_BUCKET = "team-tagged-bucket";
const JOB_ID = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";

/** Regions the task's DB snapshots live in: the stack's, and the DR region's copies. */
function snapshotRegions(stack: string): string[] {
  const dr = stackConfig(stack)["drox-backup:drRegion"];
  return [REGION, ...(dr !== undefined ? [dr] : [])];
}

/**
 * DB snapshots that are not the tool's: RDS's automated ones, a person's manual one, AWS Backup's,
 * one whose name merely contains the prefix, and one that shares it without the hyphen. Tagging any of them `drox-backup:managed=true`
 * would hand it to retention, which deletes managed snapshots.
 */
const FOREIGN_SNAPSHOTS = [
  "rds:db-prod-1-2026-01-01-00-05",
  "before-upgrade-2026",
  "awsbackup:job-0123456789abcdef",
  "nightly-drox-orders",
  "droxford-nightly",
];

/** The foreign snapshots (every region given) some statement lets the role tag. */
function foreignTaggable(statements: readonly PolicyStatement[], regions: readonly string[]): string[] {
  return regions.flatMap((region) =>
    FOREIGN_SNAPSHOTS.map((name) => `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${name}`).filter(
      (arn) => granting(statements, "rds:AddTagsToResource", arn).length > 0,
    ),
  );
}

function samples(run: ProgramRun, stack: string, ownSecrets: readonly string[]): Samples {
  const config = stackConfig(stack);
  const tagged = config["drox-backup:backupTag"] !== undefined;
  const sources = [
    ...(JSON.parse(config["drox-backup:s3SourceBuckets"] ?? "[]") as string[]),
    ...(tagged ? [TAGGED_BUCKET] : []),
  ];
  assert.ok(sources.length > 0, `${stack} backs up no S3 bucket: pick a stack that does`);
  const backup = String(byName(run, "aws:s3/bucket:Bucket", "drox-backup-bucket").state.arn);
  const table = String(byName(run, "aws:dynamodb/table:Table", "drox-backup-history").state.arn);
  const topic = String(byName(run, "aws:sns/topic:Topic", "drox-backup-events").state.arn);
  return {
    "*": ["*"],
    ec2Volume: [`arn:aws:ec2:${REGION}:${ACCOUNT_ID}:volume/vol-0123456789abcdef0`],
    ec2Snapshot: [`arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`],
    rdsInstance: [`arn:aws:rds:${REGION}:${ACCOUNT_ID}:db:orders`],
    // The identifier the RDS job gives, in this region and (copies) the DR region.
    rdsSnapshot: snapshotRegions(stack).map(
      (region) => `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${snapshotIdentifier("orders", JOB_ID)}`,
    ),
    backupBucket: [backup],
    backupObject: sources.map((bucket) => `${backup}/${bucket}/reports/2026/01/a.csv`),
    sourceBucket: sources.map((bucket) => `arn:aws:s3:::${bucket}`),
    sourceObject: sources.map((bucket) => `arn:aws:s3:::${bucket}/reports/2026/01/a.csv`),
    taggedBucket: [`arn:aws:s3:::${TAGGED_BUCKET}`],
    eventsTopic: [topic],
    historyTable: [table],
    historyIndex: [`${table}/index/${HISTORY_INDEX}`],
    ownSecrets,
    s3BatchJob: [`arn:aws:s3:${REGION}:${ACCOUNT_ID}:job/6a1b7f0e-3c2d-4e5f-8a9b-0c1d2e3f4a5b`],
    s3BatchRole: run.resources
      .filter((r) => r.type === "aws:iam/role:Role" && r.name.endsWith("-s3-batch-role"))
      .map((r) => String(r.state.arn)),
  };
}

/** Every (action, resource) a set of calls needs under a stack's config that the policy lacks. */
function missing(
  calls: Map<string, string[]>,
  statements: readonly PolicyStatement[],
  where: Samples,
  backupTag: boolean,
): string[] {
  const gaps: string[] = [];
  for (const [call, files] of calls) {
    for (const n of NEEDS[call] ?? []) {
      if (n.onlyWithBackupTag && !backupTag) continue;
      for (const resource of where[n.on] ?? []) {
        if (granting(statements, n.action, resource).length === 0) {
          gaps.push(`${call} (${files.join(", ")}) needs ${n.action} on ${resource}`);
        }
      }
    }
  }
  return gaps;
}

/**
 * The AWS service that uses the stack key when a call touches a target (SSE-KMS objects, the
 * encrypted topic and table, secrets); targets absent here hold nothing encrypted with it.
 */
const STACK_KEY_USER: Partial<Record<Target, string>> = {
  backupObject: "s3",
  eventsTopic: "sns",
  historyTable: "dynamodb",
  historyIndex: "dynamodb",
  ownSecrets: "secretsmanager",
};

/** The services (kms:ViaService) the stack key must serve for these calls, sorted. */
function keyServicesFor(calls: Map<string, string[]>, where: Samples): string[] {
  const services = [...calls.keys()].flatMap((call) =>
    (NEEDS[call] ?? []).flatMap((n) => {
      const user = STACK_KEY_USER[n.on];
      return user !== undefined && (where[n.on] ?? []).length > 0 ? [user] : [];
    }),
  );
  return [...new Set(services)].sort();
}

interface KeyUse {
  /** Sids of KMS grants with no kms:ViaService condition (any key). */
  readonly unconditioned: string[];
  /** Services allowed to use the stack key, sorted, as `<service>` of `<service>.<region>.amazonaws.com`. */
  readonly services: string[];
}

/** How a role may use KMS keys, the stack key in particular. */
function keyUse(statements: readonly PolicyStatement[], stackKey: string): KeyUse {
  const kms = statements.filter((st) => list(st.Action).some((a) => a.toLowerCase().startsWith("kms:")));
  const viaOf = (st: PolicyStatement) =>
    list(
      (st.Condition as { StringEquals?: Record<string, unknown> } | undefined)?.StringEquals?.[
        "kms:ViaService"
      ],
    );
  const services = kms
    .filter((st) => list(st.Resource).some((r) => glob(r, stackKey)))
    .flatMap((st) =>
      viaOf(st).map((via) => {
        const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.amazonaws\.com$/.exec(via);
        assert.ok(
          match && match[2] === REGION,
          `${String(st.Sid)}: kms:ViaService ${via} is not in ${REGION}`,
        );
        return match[1]!;
      }),
    );
  return {
    unconditioned: kms.filter((st) => viaOf(st).length === 0).map((st) => String(st.Sid)),
    services: [...new Set(services)].sort(),
  };
}

const TASK_ENTRY = "runtime/cli.ts";
const LAMBDA_ENTRY = "runtime/handlers.ts";

describe("infra: roles grant what the runtime calls (task and Lambdas)", () => {
  const runs: Record<string, ProgramRun> = {};
  before(async () => {
    runs.dev = await cachedRun("dev");
    runs.prod = await cachedRun("prod");
  });

  it("must map every AWS SDK command, paginator and waiter in runtime/ to IAM actions", () => {
    const unknown: string[] = [];
    const opaque: string[] = [];
    let scanned = 0;
    for (const file of runtimeFiles().filter((f) => !excluded(f))) {
      const { calls, opaque: hidden } = factsFor(file);
      scanned += calls.length;
      for (const call of calls) if (!(call in NEEDS)) unknown.push(`${call} in ${file}`);
      for (const h of hidden) opaque.push(`${h} in ${file}`);
    }
    assert.deepEqual(unknown, [], "add each call to NEEDS with the IAM actions it requires");
    assert.deepEqual(opaque, [], "import SDK commands by name so this scan sees them");
    // The scan itself works: the integrity check's bucket reads are among the calls it finds.
    assert.ok(scanned > 20, `only ${scanned} SDK imports found`);
    for (const call of [
      "GetBucketVersioningCommand",
      "AbortMultipartUploadCommand",
      "waitUntilSnapshotCompleted",
    ]) {
      assert.ok(callsFrom(TASK_ENTRY).has(call), `${call} not reached from ${TASK_ENTRY}`);
    }
  });

  it("must see a new SDK call, and refuse imports it cannot see (scanner self-check)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "drox-scan-"));
    const file = path.join(dir, "probe.ts");
    fs.writeFileSync(
      file,
      [
        'import { ListObjectVersionsCommand as Versions, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";',
        'import type { DeleteObjectCommand } from "@aws-sdk/client-s3";',
        'import * as sns from "@aws-sdk/client-sns";',
        'export const later = () => import("@aws-sdk/client-ec2");',
      ].join("\n"),
    );
    try {
      const found = factsOf(file);
      assert.deepEqual(found.calls, ["ListObjectVersionsCommand", "paginateListObjectsV2"]);
      assert.deepEqual(found.opaque, [
        "import * from @aws-sdk/client-sns",
        "dynamic import of @aws-sdk/client-ec2",
      ]);
      assert.equal("ListObjectVersionsCommand" in NEEDS, false, "a call without a row fails the first test");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("must run the task's CLI from the image and never the excluded doctor in ECS", () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
    assert.match(dockerfile, /^ENTRYPOINT \["node", "dist\/runtime\/cli\.js"\]$/m);
    assert.ok(fs.existsSync(path.join(ROOT, "runtime/setup/doctor/aws.ts")), "excluded path moved");
    assert.ok(fs.existsSync(path.join(ROOT, "runtime/restore/index.ts")), "excluded path moved");
    for (const stack of ["dev", "prod"]) {
      const run = runs[stack]!;
      const containers = JSON.parse(
        String(
          byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs
            .containerDefinitions,
        ),
      ) as { command: string[] }[];
      const commands = [
        ...containers.map((c) => c.command),
        ...ofType(run, "aws:scheduler/schedule:Schedule").map(
          (s) =>
            (
              JSON.parse(String((s.inputs.target as { input: string }).input)) as {
                containerOverrides: { command: string[] }[];
              }
            ).containerOverrides[0]!.command,
        ),
      ];
      assert.ok(commands.length > 1, `${stack}: no scheduled commands found`);
      for (const command of commands) {
        assert.notEqual(command[0], "doctor", `${stack}: ${command.join(" ")}`);
        assert.notEqual(command[0], "restore", `${stack}: ${command.join(" ")}`);
      }
    }
  });

  for (const stack of ["dev", "prod"]) {
    it(`must grant the ECS task role every action its code needs (${stack} stack)`, () => {
      const run = runs[stack]!;
      const statements = policyOf(
        byName(run, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
      ).Statement;
      const container = (
        JSON.parse(
          String(
            byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs
              .containerDefinitions,
          ),
        ) as { environment: { name: string; value: string }[]; secrets: { name: string }[] }[]
      )[0]!;
      // ECS injects the secrets' values (execution role); the task reads no secret by ARN, so its
      // own role needs no secretsmanager:GetSecretValue.
      const ownSecrets = container.environment
        .filter((e) => e.name.endsWith("_SECRET_ARN"))
        .map((e) => e.value);
      assert.deepEqual(ownSecrets, []);
      assert.ok(
        container.secrets.some((s) => s.name === "API_TOKEN"),
        "API_TOKEN injected by ECS",
      );
      const backupTag = stackConfig(stack)["drox-backup:backupTag"] !== undefined;
      const where = samples(run, stack, ownSecrets);
      assert.deepEqual(missing(callsFrom(TASK_ENTRY), statements, where, backupTag), []);
    });

    it(`must grant the ECS task role no action its code does not call (${stack} stack)`, () => {
      const run = runs[stack]!;
      const statements = policyOf(
        byName(run, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
      ).Statement;
      const backupTag = stackConfig(stack)["drox-backup:backupTag"] !== undefined;
      const needed = new Set(
        [...callsFrom(TASK_ENTRY).keys()].flatMap((call) =>
          (NEEDS[call] ?? []).filter((n) => backupTag || !n.onlyWithBackupTag).map((n) => n.action),
        ),
      );
      const extra = statements
        .flatMap((st) => list(st.Action).map((action) => `${String(st.Sid)}: ${action}`))
        .filter((entry) => {
          const action = entry.split(": ")[1]!;
          return !IMPLICIT_PREFIXES.some((p) => action.startsWith(p)) && !needed.has(action);
        });
      assert.deepEqual(extra, []);
    });
  }

  it("must grant the bucket reads the integrity check makes (fails on the pre-fix policy)", () => {
    // The actions the review found missing, on the backup bucket by its exact ARN.
    const run = runs.prod!;
    const statements = policyOf(
      byName(run, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
    ).Statement;
    const granted = (action: string, resource: string) =>
      granting(statements, action, resource).map((st) => String(st.Sid));
    assert.deepEqual(granted("s3:GetBucketVersioning", "arn:aws:s3:::drox-backup-bucket"), [
      "BackupBucketList",
    ]);
    assert.deepEqual(granted("s3:GetEncryptionConfiguration", "arn:aws:s3:::drox-backup-bucket"), [
      "BackupBucketList",
    ]);
    assert.deepEqual(granted("s3:GetBucketPublicAccessBlock", "arn:aws:s3:::drox-backup-bucket"), [
      "BackupBucketList",
    ]);
    assert.deepEqual(
      granted("s3:AbortMultipartUpload", "arn:aws:s3:::drox-backup-bucket/drox-prod-assets/a"),
      ["BackupBucketObjects"],
    );
    // Never on a source bucket: the jobs only read those.
    assert.deepEqual(granted("s3:PutObject", "arn:aws:s3:::drox-prod-assets/a"), []);
    assert.deepEqual(granted("s3:AbortMultipartUpload", "arn:aws:s3:::drox-prod-assets/a"), []);
  });

  it("must let the task tag only the tool's own DB snapshots (drox-*), never another's", () => {
    for (const stack of ["dev", "prod"]) {
      const statements = policyOf(
        byName(runs[stack]!, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
      ).Statement;
      const regions = snapshotRegions(stack);
      assert.deepEqual(foreignTaggable(statements, regions), [], stack);
      // Its own snapshots, here and in the DR region, stay taggable (CreateDBSnapshot with tags).
      for (const region of regions) {
        const own = `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${snapshotIdentifier("db-prod-1", JOB_ID)}`;
        assert.deepEqual(
          granting(statements, "rds:AddTagsToResource", own).map((st) => st.Sid),
          ["TagOwnRdsSnapshots"],
          `${stack}: ${own}`,
        );
      }
    }
    assert.deepEqual(
      snapshotRegions("prod"),
      ["ap-northeast-2", "ap-northeast-1"],
      "prod copies to a DR region",
    );
  });

  it("must let every role use the stack key only through the services that hold what its code reads and writes", () => {
    for (const stack of ["dev", "prod"]) {
      const run = runs[stack]!;
      const stackKey = String(byName(run, "aws:kms/key:Key", "drox-backup-key").state.arn);
      const policy = (name: string) =>
        policyOf(byName(run, "aws:iam/rolePolicy:RolePolicy", `drox-backup-${name}`)).Statement;
      // In AWS the DR copy grants (the account's keys, through EC2 and RDS only) cover the stack
      // key too; under mocks its ARN has no key/ path, so they count among the conditioned grants.
      // The task: derived from the SDK calls reachable from the CLI and the resources they touch.
      const task = keyUse(policy("task-policy"), stackKey);
      const taskNeeds = keyServicesFor(callsFrom(TASK_ENTRY), samples(run, stack, []));
      assert.deepEqual(taskNeeds, ["dynamodb", "s3", "sns"], `${stack}: what the task's calls decrypt`);
      assert.deepEqual(task, { unconditioned: [], services: taskNeeds }, stack);
      // The Lambdas read their own secrets, nothing else encrypted with the key.
      for (const role of ["slack", "notion"]) {
        const env = (
          byName(run, "aws:lambda/function:Function", `drox-backup-${role}`).inputs.environment as {
            variables: Record<string, string>;
          }
        ).variables;
        const ownSecrets = Object.entries(env)
          .filter(([name]) => name.endsWith("_SECRET_ARN"))
          .map(([, value]) => value);
        const needs = keyServicesFor(callsFrom(LAMBDA_ENTRY), samples(run, stack, ownSecrets));
        assert.deepEqual(needs, ["secretsmanager"], `${stack}: what the ${role} handler decrypts`);
        assert.deepEqual(keyUse(policy(`${role}-policy`), stackKey), { unconditioned: [], services: needs });
      }
      // The execution role: ECS reads the injected secrets through Secrets Manager.
      assert.deepEqual(keyUse(policy("execution-policy"), stackKey), {
        unconditioned: [],
        services: ["secretsmanager"],
      });
    }
  });

  it("must report a stack key grant without kms:ViaService, or through a service nothing needs (the check itself)", () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/0000`;
    // The grant as it was before issue 14.
    assert.deepEqual(
      keyUse(
        [
          {
            Effect: "Allow",
            Sid: "UseStackKey",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: key,
          },
        ],
        key,
      ),
      { unconditioned: ["UseStackKey"], services: [] },
    );
    // A service beyond what the calls need shows up in the list the test compares exactly.
    const wide: PolicyStatement[] = [
      {
        Effect: "Allow",
        Sid: "Wide",
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:*:*:key/*",
        Condition: {
          StringEquals: {
            "kms:ViaService": [`s3.${REGION}.amazonaws.com`, `lambda.${REGION}.amazonaws.com`],
          },
        },
      },
    ];
    assert.deepEqual(keyUse(wide, key), { unconditioned: [], services: ["lambda", "s3"] });
  });

  it("must report a statement that lets the task tag any DB snapshot (the check itself)", () => {
    // The statement as it was before issue 14: AddTagsToResource among the RDS actions on `*`.
    const before: PolicyStatement[] = [
      {
        Effect: "Allow",
        Sid: "RdsSnapshots",
        Action: ["rds:AddTagsToResource", "rds:CopyDBSnapshot", "rds:CreateDBSnapshot"],
        Resource: "*",
      },
    ];
    assert.equal(foreignTaggable(before, [REGION]).length, FOREIGN_SNAPSHOTS.length);
    // A wildcard action is caught as well, and so is a prefix without its hyphen (droxford-…).
    const loose: PolicyStatement[] = [
      { Effect: "Allow", Action: "rds:Add*", Resource: `arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:*` },
    ];
    assert.equal(foreignTaggable(loose, [REGION]).length, FOREIGN_SNAPSHOTS.length);
    const noHyphen: PolicyStatement[] = [
      {
        Effect: "Allow",
        Action: "rds:AddTagsToResource",
        Resource: `arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:drox*`,
      },
    ];
    assert.deepEqual(foreignTaggable(noHyphen, [REGION]), [
      `arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:droxford-nightly`,
    ]);
    // …which is why the grant's prefix must be the one every identifier of the RDS job starts with.
    for (const instance of ["orders", "DB_Prod.1", "a", "x".repeat(300)]) {
      assert.ok(snapshotIdentifier(instance, JOB_ID).startsWith(RDS_SNAPSHOT_PREFIX), instance);
    }
    assert.equal(RDS_SNAPSHOT_PREFIX, "drox-");
  });

  for (const [role, entry] of [
    ["slack", "slackNotifier"],
    ["notion", "notionLogger"],
  ] as const) {
    it(`must grant the ${entry} Lambda what runtime/handlers.ts calls, secrets on its own ARNs only`, () => {
      for (const stack of ["dev", "prod"]) {
        const run = runs[stack]!;
        const statements = policyOf(
          byName(run, "aws:iam/rolePolicy:RolePolicy", `drox-backup-${role}-policy`),
        ).Statement;
        const fn = byName(run, "aws:lambda/function:Function", `drox-backup-${role}`);
        const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        const ownSecrets = Object.entries(env)
          .filter(([name]) => name.endsWith("_SECRET_ARN"))
          .map(([, value]) => value)
          .sort();
        assert.ok(ownSecrets.length > 0, `${stack}: ${entry} reads no secret`);
        const calls = callsFrom(LAMBDA_ENTRY);
        assert.deepEqual([...calls.keys()].sort(), ["GetSecretValueCommand"], "the handlers' AWS calls");
        assert.deepEqual(missing(calls, statements, samples(run, stack, ownSecrets), false), []);
        const reading = statements.filter((st) => list(st.Action).includes("secretsmanager:GetSecretValue"));
        assert.equal(reading.length, 1);
        assert.deepEqual(list(reading[0]!.Resource).sort(), ownSecrets);
        // Not the other handler's secrets, nor any secret by wildcard.
        const other = role === "slack" ? "notion" : "slack";
        const otherEnv = (
          byName(run, "aws:lambda/function:Function", `drox-backup-${other}`).inputs.environment as {
            variables: Record<string, string>;
          }
        ).variables;
        for (const [name, arn] of Object.entries(otherEnv).filter(([n]) => n.endsWith("_SECRET_ARN"))) {
          assert.deepEqual(
            granting(statements, "secretsmanager:GetSecretValue", arn),
            [],
            `${stack}: ${name}`,
          );
        }
      }
    });
  }
});
