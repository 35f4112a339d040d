/**
 * IAM vs. the code that runs under it. moto does not enforce IAM, so a job calling an S3 API its
 * role lacks passes every runtime test and fails in AWS. This spec reads the runtime's sources
 * (TypeScript's parser, no regexes over code), collects every AWS SDK v3 command, paginator and
 * waiter the ECS task and the Lambdas can reach from their entry points, turns each into the IAM
 * requests it makes (the table below: action, resource, the condition keys AWS sets), and has IAM's
 * evaluation logic (@cloud-copilot/iam-simulate, test/support/iam-simulator.ts) decide them against
 * the roles' real policy documents and the resources' own policies: every request the code makes is
 * Allowed, what the jobs must never do is denied, and no action is granted that no call needs. A
 * new SDK call without a row in the table fails here.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { RDS_SNAPSHOT_PREFIX } from "../components/task-permissions";
import { HISTORY_INDEX } from "../runtime/history/dynamodb";
import { snapshotIdentifier } from "../runtime/jobs/rds";
import { DRILL_TAG } from "../runtime/drills/names";
import { drillInstanceId } from "../runtime/drills/tags";
import { MANAGED_TAG } from "../runtime/jobs/tags";
import {
  actionsMatching,
  awsShape,
  catalogueProblems,
  decide,
  list,
  principalOf,
  principalWith,
  resourcePolicies,
  type PolicyStatement,
  type Principal,
  type Request,
} from "./support/iam-simulator";
import {
  ACCOUNT_ID,
  BOT_MODE,
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
  | "drillVolume"
  | "drillSnapshot"
  | "drillInstance"
  | "drillDbSnapshot"
  | "rdsGroups"
  | "s3BatchJob"
  | "s3BatchRole";

type Context = Readonly<Record<string, string>>;

interface Need {
  readonly action: string;
  readonly on: Target;
  /** Condition keys AWS sets on the request (the resource's tags, the call that writes tags). */
  readonly context?: Context;
  /** Only called when targets are selected by tag (BACKUP_TAG set). */
  readonly onlyWithBackupTag?: true;
}
const need = (action: string, on: Target, context?: Context): Need => ({
  action,
  on,
  ...(context ? { context } : {}),
});
const describeAny = (action: string): Need[] => [need(action, "*")];

/**
 * Retention and the integrity check act only on snapshots carrying MANAGED_TAG=true (they list with
 * that tag filter), so a delete request carries the tag: EC2 as aws:ResourceTag, RDS as its own
 * rds:snapshot-tag key as well (Service Authorization Reference, "Condition keys" of each service).
 */
const EC2_MANAGED: Context = { [`aws:ResourceTag/${MANAGED_TAG}`]: "true" };
const RDS_MANAGED: Context = { ...EC2_MANAGED, [`rds:snapshot-tag/${MANAGED_TAG}`]: "true" };

/**
 * Restore drills create scratch volumes and instances carrying the drill tag (aws:RequestTag on
 * the create) and delete only what carries it (aws:ResourceTag, RDS also rds:db-tag); the lock
 * deletes only its lease items, whose key is the request's dynamodb:LeadingKeys.
 */
const DRILL_ID = "01JDRILL0000000000000000AB";
const DRILL_NEW: Context = { [`aws:RequestTag/${DRILL_TAG}`]: DRILL_ID };
const DRILL_OWNED: Context = { [`aws:ResourceTag/${DRILL_TAG}`]: DRILL_ID };
const DRILL_DB_OWNED: Context = { ...DRILL_OWNED, [`rds:db-tag/${DRILL_TAG}`]: DRILL_ID };

/**
 * SDK export → the IAM requests it makes (Service Authorization Reference, each API's
 * "Permissions" section). Tags written with a create/copy call need the tagging action too, which
 * EC2 authorizes with ec2:CreateAction naming the creating call
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
 */
const NEEDS: Readonly<Record<string, readonly Need[]>> = {
  // EC2
  CreateSnapshotCommand: [
    need("ec2:CreateSnapshot", "ec2Volume"),
    need("ec2:CreateSnapshot", "ec2Snapshot"),
    need("ec2:CreateTags", "ec2Snapshot", { "ec2:CreateAction": "CreateSnapshot" }),
  ],
  CopySnapshotCommand: [
    need("ec2:CopySnapshot", "ec2Snapshot"),
    need("ec2:CreateTags", "ec2Snapshot", { "ec2:CreateAction": "CopySnapshot" }),
  ],
  DeleteSnapshotCommand: [need("ec2:DeleteSnapshot", "ec2Snapshot", EC2_MANAGED)],
  DescribeSnapshotsCommand: describeAny("ec2:DescribeSnapshots"),
  paginateDescribeSnapshots: describeAny("ec2:DescribeSnapshots"),
  waitUntilSnapshotCompleted: describeAny("ec2:DescribeSnapshots"),
  DescribeVolumesCommand: describeAny("ec2:DescribeVolumes"),
  paginateDescribeVolumes: describeAny("ec2:DescribeVolumes"),
  // Restore drills (runtime/drills): CreateVolume is authorized on the volume and the snapshot.
  CreateVolumeCommand: [
    need("ec2:CreateVolume", "drillVolume", DRILL_NEW),
    need("ec2:CreateVolume", "drillSnapshot", EC2_MANAGED),
    need("ec2:CreateTags", "drillVolume", { "ec2:CreateAction": "CreateVolume", ...DRILL_NEW }),
  ],
  DeleteVolumeCommand: [need("ec2:DeleteVolume", "drillVolume", DRILL_OWNED)],
  DescribeAvailabilityZonesCommand: describeAny("ec2:DescribeAvailabilityZones"),
  RestoreDBInstanceFromDBSnapshotCommand: [
    need("rds:RestoreDBInstanceFromDBSnapshot", "drillInstance"),
    need("rds:RestoreDBInstanceFromDBSnapshot", "drillDbSnapshot"),
    need("rds:RestoreDBInstanceFromDBSnapshot", "rdsGroups"),
    need("rds:AddTagsToResource", "drillInstance"),
  ],
  DeleteDBInstanceCommand: [need("rds:DeleteDBInstance", "drillInstance", DRILL_DB_OWNED)],
  DescribeOrderableDBInstanceOptionsCommand: describeAny("rds:DescribeOrderableDBInstanceOptions"),
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
  DeleteDBSnapshotCommand: [need("rds:DeleteDBSnapshot", "rdsSnapshot", RDS_MANAGED)],
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
  // A drill reads sampled objects back in full from both sides.
  GetObjectCommand: [need("s3:GetObject", "backupObject"), need("s3:GetObject", "sourceObject")],
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
  // CreateJob passes the job's role to Batch Operations (IAM sets iam:PassedToService on the request).
  CreateJobCommand: [
    need("s3:CreateJob", "*"),
    need("iam:PassRole", "s3BatchRole", { "iam:PassedToService": "batchoperations.s3.amazonaws.com" }),
  ],
  DescribeJobCommand: [need("s3:DescribeJob", "s3BatchJob")],
  ListBucketsCommand: [{ action: "s3:ListAllMyBuckets", on: "*", onlyWithBackupTag: true }],
  GetBucketTaggingCommand: [{ action: "s3:GetBucketTagging", on: "taggedBucket", onlyWithBackupTag: true }],
  // DynamoDB (lib-dynamodb's document commands); the history is queried through its index.
  PutCommand: [need("dynamodb:PutItem", "historyTable")],
  GetCommand: [need("dynamodb:GetItem", "historyTable")],
  // Bot mode's link items (runtime/links/dynamodb.ts), from the Lambdas only.
  UpdateCommand: [need("dynamodb:UpdateItem", "historyTable")],
  QueryCommand: [need("dynamodb:Query", "historyIndex")],
  // The drill lock gives its lease back (runtime/drills/lock.ts).
  DeleteCommand: [need("dynamodb:DeleteItem", "historyTable", { "dynamodb:LeadingKeys": "drill-lock#EBS" })],
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
  "runtime/ops/redrive.ts": "`drox-backup redrive` runs on the operator's machine with their credentials",
  "runtime/ops/relaunch.ts": "`drox-backup redrive` runs on the operator's machine with their credentials",
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

// --- the requests, decided by IAM's evaluation logic ---------------------------------------------

type Samples = Readonly<Record<Target, readonly string[]>>;

const TAGGED_BUCKET = "team-tagged-bucket";
const JOB_ID = "01JC9Z3Q8W6T4Y2K1M0N7P5R3S";

/** Regions the task's snapshots live in: the stack's, and the DR region's copies. */
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

function samples(run: ProgramRun, stack: string, ownSecrets: readonly string[]): Samples {
  const config = stackConfig(stack);
  const shape = awsShape(run);
  const tagged = config["drox-backup:backupTag"] !== undefined;
  const sources = [
    ...(JSON.parse(config["drox-backup:s3SourceBuckets"] ?? "[]") as string[]),
    ...(tagged ? [TAGGED_BUCKET] : []),
  ];
  assert.ok(sources.length > 0, `${stack} backs up no S3 bucket: pick a stack that does`);
  const backup = shape.arn(byName(run, "aws:s3/bucket:Bucket", "drox-backup-bucket"));
  const table = shape.arn(byName(run, "aws:dynamodb/table:Table", "drox-backup-history"));
  const topic = shape.arn(byName(run, "aws:sns/topic:Topic", "drox-backup-events"));
  return {
    "*": ["*"],
    ec2Volume: [`arn:aws:ec2:${REGION}:${ACCOUNT_ID}:volume/vol-0123456789abcdef0`],
    // Made here, and copied to the DR region.
    ec2Snapshot: snapshotRegions(stack).map(
      (region) => `arn:aws:ec2:${region}::snapshot/snap-0123456789abcdef0`,
    ),
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
    ownSecrets: ownSecrets.map((arn) => shape.text(arn)),
    // A drill's scratch resources, in the stack's region only.
    drillVolume: [`arn:aws:ec2:${REGION}:${ACCOUNT_ID}:volume/vol-0d1e2f3a4b5c6d7e8`],
    drillSnapshot: [`arn:aws:ec2:${REGION}::snapshot/snap-0123456789abcdef0`],
    drillInstance: [`arn:aws:rds:${REGION}:${ACCOUNT_ID}:db:${drillInstanceId(DRILL_ID, 1)}`],
    drillDbSnapshot: [`arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:${snapshotIdentifier("orders", JOB_ID)}`],
    rdsGroups: [
      `arn:aws:rds:${REGION}:${ACCOUNT_ID}:subgrp:orders-private`,
      `arn:aws:rds:${REGION}:${ACCOUNT_ID}:og:default:postgres-16`,
      `arn:aws:rds:${REGION}:${ACCOUNT_ID}:pg:default.postgres16`,
    ],
    s3BatchJob: [`arn:aws:s3:${REGION}:${ACCOUNT_ID}:job/6a1b7f0e-3c2d-4e5f-8a9b-0c1d2e3f4a5b`],
    s3BatchRole: run.resources
      .filter((r) => r.type === "aws:iam/role:Role" && r.name.endsWith("-s3-batch-role"))
      .map((r) => `arn:aws:iam::${ACCOUNT_ID}:role/${String(r.state.name)}`),
  };
}

/**
 * The service that holds data under the stack key when a call touches a target (SSE-KMS objects,
 * the encrypted topic and table, secrets); targets absent here hold nothing encrypted with it.
 */
const STACK_KEY_USER: Partial<Record<Target, string>> = {
  backupObject: "s3",
  eventsTopic: "sns",
  historyTable: "dynamodb",
  historyIndex: "dynamodb",
  ownSecrets: "secretsmanager",
};

/**
 * What that service asks KMS for, with the caller's credentials and kms:ViaService set to itself:
 * S3 decrypts SSE-KMS objects and generates a data key for an upload, a multipart one decrypting too
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html); a publisher to
 * an encrypted topic needs both (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html);
 * DynamoDB decrypts the table key on access
 * (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html); Secrets Manager
 * decrypts the secret it returns
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
 */
const KEY_USE: Readonly<Record<string, readonly string[]>> = {
  "s3:GetObject": ["kms:Decrypt"],
  "s3:PutObject": ["kms:GenerateDataKey", "kms:Decrypt"],
  "sns:Publish": ["kms:GenerateDataKey", "kms:Decrypt"],
  "dynamodb:GetItem": ["kms:Decrypt"],
  "dynamodb:PutItem": ["kms:Decrypt"],
  "dynamodb:UpdateItem": ["kms:Decrypt"],
  "dynamodb:Query": ["kms:Decrypt"],
  "secretsmanager:GetSecretValue": ["kms:Decrypt"],
};

const via = (service: string, region = REGION) => `${service}.${region}.amazonaws.com`;

interface Labelled {
  readonly label: string;
  readonly request: Request;
}

/** Every request a set of calls makes under a stack's config, the stack key's uses included. */
function requestsFor(
  calls: Map<string, string[]>,
  where: Samples,
  backupTag: boolean,
  stackKey: string,
): Labelled[] {
  const requests = new Map<string, Labelled>();
  const add = (label: string, request: Request) =>
    requests.set(JSON.stringify(request), requests.get(JSON.stringify(request)) ?? { label, request });
  for (const [call, files] of calls) {
    for (const n of NEEDS[call] ?? []) {
      if (n.onlyWithBackupTag && !backupTag) continue;
      const service = STACK_KEY_USER[n.on];
      for (const resource of where[n.on] ?? []) {
        const label = `${call} (${files.join(", ")})`;
        add(label, { action: n.action, resource, ...(n.context ? { context: n.context } : {}) });
        for (const action of service !== undefined ? (KEY_USE[n.action] ?? []) : []) {
          add(`${label} through ${service}`, {
            action,
            resource: stackKey,
            context: { "kms:ViaService": via(service!) },
          });
        }
      }
    }
  }
  return [...requests.values()];
}

type PolicyFor = ReturnType<typeof resourcePolicies>;

/** Each request with the decision AWS reaches, the resource's own policy included. */
async function decisions(principal: Principal, requests: readonly Request[], policyFor: PolicyFor) {
  return Promise.all(
    requests.map(async (request) => ({
      request,
      decision: await decide(principal, request, policyFor(request.resource)),
    })),
  );
}

/** The requests of a set that are not Allowed, as `<call> needs <action> on <resource>`. */
async function refused(principal: Principal, requests: readonly Labelled[], policyFor: PolicyFor) {
  const decided = await decisions(
    principal,
    requests.map((r) => r.request),
    policyFor,
  );
  return decided.flatMap(({ request, decision }, i) =>
    decision === "Allowed"
      ? []
      : [
          `${requests[i]!.label} needs ${request.action} on ${request.resource}${context(request)}: ${decision}`,
        ],
  );
}

/** The requests of a set that are Allowed (for what must be impossible). */
async function allowed(
  principal: Principal,
  requests: readonly Request[],
  policyFor: PolicyFor = () => undefined,
) {
  return (await decisions(principal, requests, policyFor))
    .filter((d) => d.decision === "Allowed")
    .map(({ request }) => `${request.action} on ${request.resource}${context(request)}`);
}

const context = (request: Request) =>
  request.context && Object.keys(request.context).length > 0 ? ` ${JSON.stringify(request.context)}` : "";

/** The foreign snapshots (every region given) the principal may tag. */
async function foreignTaggable(principal: Principal, regions: readonly string[]): Promise<string[]> {
  return allowed(
    principal,
    regions.flatMap((region) =>
      FOREIGN_SNAPSHOTS.map((name) => ({
        action: "rds:AddTagsToResource",
        resource: `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${name}`,
      })),
    ),
  );
}

/** The services (kms:ViaService) the stack key must serve for these calls, sorted. */
function keyServicesFor(calls: Map<string, string[]>, where: Samples): string[] {
  const services = [...calls.keys()].flatMap((call) =>
    (NEEDS[call] ?? []).flatMap((n) => {
      const user = STACK_KEY_USER[n.on];
      return user !== undefined && KEY_USE[n.action] && (where[n.on] ?? []).length > 0 ? [user] : [];
    }),
  );
  return [...new Set(services)].sort();
}

/**
 * Services a role's KMS request could come through: those holding the stack's data and those the
 * stack runs on. A grant through any other would be as wide as one through these.
 */
const KEY_CANDIDATES = [
  "dynamodb",
  "ec2",
  "ecr",
  "ecs",
  "lambda",
  "logs",
  "rds",
  "s3",
  "secretsmanager",
  "sns",
  "sqs",
];
const KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"];

interface KeyUse {
  /** KMS actions the role may call on the stack key directly (no service on its behalf). */
  readonly direct: string[];
  /** Services through which the role may use the stack key, sorted. */
  readonly services: string[];
}

/** How a principal may use the stack key, as IAM decides with the key policy. */
async function keyUse(principal: Principal, stackKey: string, keyPolicy: PolicyFor): Promise<KeyUse> {
  const direct = await allowed(
    principal,
    KEY_ACTIONS.map((action) => ({ action, resource: stackKey })),
    keyPolicy,
  );
  const services: string[] = [];
  for (const service of KEY_CANDIDATES) {
    const through = KEY_ACTIONS.map((action) => ({
      action,
      resource: stackKey,
      context: { "kms:ViaService": via(service) },
    }));
    if ((await allowed(principal, through, keyPolicy)).length > 0) services.push(service);
  }
  return { direct: direct.map((d) => d.split(" ")[0]!), services };
}

/** Every catalogue action a statement list grants (wildcards expanded), as `<Sid>: <action>`. */
async function grantedActions(statements: readonly PolicyStatement[]): Promise<string[]> {
  const granted: string[] = [];
  for (const st of statements.filter((s) => s.Effect !== "Deny")) {
    for (const pattern of list(st.Action)) {
      for (const action of await actionsMatching(pattern)) granted.push(`${String(st.Sid)}: ${action}`);
    }
  }
  return granted;
}

const TASK_ENTRY = "runtime/cli.ts";
const LAMBDA_ENTRY = "runtime/handlers.ts";

/**
 * The handlers' calls only Slack app mode makes: runtime/handlers.ts builds the link store
 * (runtime/links/dynamodb.ts) only with a bot token, so a webhook-mode stack grants none of them.
 */
const LINK_CALLS = ["GetCommand", "UpdateCommand"];
const LINK_STORE = "runtime/links/dynamodb.ts";
const arn = (role: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:drox-backup-${role}`;
/** A link item's partition key, as dynamodb:LeadingKeys carries it on the request. */
const LINK_KEY = { "dynamodb:LeadingKeys": ["link#0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"] };

/**
 * Reachable from the handlers but never called by them: runtime/handlers.ts imports
 * createDynamoDbClient from runtime/aws/clients.ts, whose s3ClientForBucket (HeadBucket) the jobs use.
 */
const REACHED_NOT_CALLED: Readonly<Record<string, string>> = { HeadBucketCommand: "runtime/aws/clients.ts" };

function lambdaCalls(botMode: boolean): Map<string, string[]> {
  const calls = callsFrom(LAMBDA_ENTRY);
  for (const call of Object.keys(REACHED_NOT_CALLED)) calls.delete(call);
  if (!botMode) for (const call of LINK_CALLS) calls.delete(call);
  return calls;
}

describe("infra: roles grant what the runtime calls (task and Lambdas)", () => {
  const runs: Record<string, ProgramRun> = {};
  before(async () => {
    runs.dev = await cachedRun("dev");
    runs.prod = await cachedRun("prod");
    runs["prod with a bot token"] = await cachedRun("prod", BOT_MODE);
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

  it("must name in its request table only actions and condition keys IAM's catalogue has", async () => {
    const statements: PolicyStatement[] = Object.values(NEEDS)
      .flat()
      .map((n) => ({
        Sid: n.action,
        Action: n.action,
        ...(n.context ? { Condition: { StringEquals: n.context } } : {}),
      }));
    const kms = Object.values(KEY_USE)
      .flat()
      .map((action) => ({
        Sid: action,
        Action: action,
        Condition: { StringEquals: { "kms:ViaService": via("s3") } },
      }));
    assert.deepEqual(await catalogueProblems({ Statement: [...statements, ...kms] }), []);
    // …and the check itself: a misspelt action or condition key is named.
    assert.deepEqual(
      await catalogueProblems({
        Statement: [
          { Sid: "Typo", Action: "s3:GetObjects", Condition: { StringEquals: { "kms:ViaServce": "x" } } },
        ],
      }),
      ["Typo: action s3:GetObjects", "Typo: condition key kms:ViaServce"],
    );
  });

  const taskOf = (stack: string) => principalOf(runs[stack]!, "drox-backup-task-role");
  const stackKeyOf = (run: ProgramRun) =>
    awsShape(run).arn(byName(run, "aws:kms/key:Key", "drox-backup-key"));
  const backupTagged = (stack: string) => stackConfig(stack)["drox-backup:backupTag"] !== undefined;

  for (const stack of ["dev", "prod"]) {
    it(`must let the ECS task role make every request its code makes, as IAM decides (${stack} stack)`, async () => {
      const run = runs[stack]!;
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
      const requests = requestsFor(
        callsFrom(TASK_ENTRY),
        samples(run, stack, ownSecrets),
        backupTagged(stack),
        stackKeyOf(run),
      );
      assert.ok(requests.length > 40, `only ${requests.length} requests`);
      assert.deepEqual(await refused(taskOf(stack), requests, resourcePolicies(run)), []);
    });

    it(`must grant the ECS task role no action its code does not call (${stack} stack)`, async () => {
      const run = runs[stack]!;
      const statements = policyOf(byName(run, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"))
        .Statement as PolicyStatement[];
      const needed = new Set(
        [...callsFrom(TASK_ENTRY).keys()].flatMap((call) =>
          (NEEDS[call] ?? [])
            .filter((n) => backupTagged(stack) || !n.onlyWithBackupTag)
            .map((n) => n.action.toLowerCase()),
        ),
      );
      // Wildcards count as every action of IAM's catalogue they match.
      const extra = (await grantedActions(statements)).filter((entry) => {
        const action = entry.split(": ")[1]!;
        return !IMPLICIT_PREFIXES.some((p) => action.startsWith(p)) && !needed.has(action.toLowerCase());
      });
      assert.deepEqual(extra, []);
    });

    it(`must deny the ECS task role what the jobs must never do (${stack} stack)`, async () => {
      const run = runs[stack]!;
      const task = taskOf(stack);
      const where = samples(run, stack, []);
      const backup = where.backupBucket[0]!;
      const regions = snapshotRegions(stack);
      const each = (actions: readonly string[], resources: readonly string[]): Request[] =>
        actions.flatMap((action) => resources.map((resource) => ({ action, resource })));
      const never: Request[] = [
        // Snapshots the tool did not create: untagged, or tagged as not managed.
        ...each(["ec2:DeleteSnapshot"], where.ec2Snapshot),
        ...where.ec2Snapshot.map((resource) => ({
          action: "ec2:DeleteSnapshot",
          resource,
          context: { [`aws:ResourceTag/${MANAGED_TAG}`]: "false" },
        })),
        ...each(
          ["rds:DeleteDBSnapshot"],
          regions.flatMap((region) =>
            FOREIGN_SNAPSHOTS.map((name) => `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${name}`),
          ),
        ),
        // No object is ever deleted: versioning and the lifecycle rules expire old backups.
        ...each(
          ["s3:DeleteObject", "s3:DeleteObjectVersion"],
          [...where.backupObject, ...where.sourceObject],
        ),
        // Source buckets are read, never written or reconfigured.
        ...each(
          ["s3:PutObject", "s3:PutObjectTagging", "s3:PutObjectAcl", "s3:AbortMultipartUpload"],
          where.sourceObject,
        ),
        ...each(
          ["s3:PutBucketPolicy", "s3:DeleteBucket", "s3:PutLifecycleConfiguration"],
          where.sourceBucket,
        ),
        // The integrity check reads the backup bucket's settings and never changes them.
        ...each(["s3:PutBucketVersioning", "s3:PutBucketPolicy", "s3:DeleteBucket"], [backup]),
        // The stack key only through the services holding the task's data, never called directly.
        ...each(KEY_ACTIONS, [stackKeyOf(run)]),
        // Drills delete only volumes and instances they tagged, restore only into drox-drill-*, from
        // the jobs' own snapshots, and delete no history item but the lock's lease.
        ...each(["ec2:DeleteVolume"], [...where.ec2Volume, ...where.drillVolume]),
        ...where.drillVolume.map((resource) => ({
          action: "ec2:CreateVolume",
          resource,
          context: { "aws:RequestTag/team": "db" },
        })),
        ...each(["ec2:CreateVolume"], where.drillSnapshot),
        ...each(["rds:DeleteDBInstance"], [...where.rdsInstance, ...where.drillInstance]),
        ...where.rdsInstance.map((resource) => ({
          action: "rds:DeleteDBInstance",
          resource,
          context: DRILL_DB_OWNED,
        })),
        ...each(["rds:RestoreDBInstanceFromDBSnapshot", "rds:AddTagsToResource"], where.rdsInstance),
        ...each(
          ["rds:RestoreDBInstanceFromDBSnapshot"],
          FOREIGN_SNAPSHOTS.map((name) => `arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:${name}`),
        ),
        ...where.historyTable.map((resource) => ({
          action: "dynamodb:DeleteItem",
          resource,
          context: { "dynamodb:LeadingKeys": "01JC9Z3Q8W6T4Y2K1M0N7P5R3S" },
        })),
      ];
      assert.ok(never.length > 30);
      assert.deepEqual(await allowed(task, never, resourcePolicies(run)), []);
      assert.deepEqual(await foreignTaggable(task, regions), []);

      // A bucket the stack does not list: never written; read only where backupTag selects buckets
      // at run time (the documented trade-off: IAM cannot narrow that by bucket tag without S3 ABAC).
      const unlisted = "arn:aws:s3:::payroll-exports";
      const reads: Request[] = [
        { action: "s3:ListBucket", resource: unlisted },
        { action: "s3:GetObject", resource: `${unlisted}/2026/01/salaries.csv` },
      ];
      assert.deepEqual(await allowed(task, each(["s3:PutObject", "s3:DeleteObject"], [`${unlisted}/a`])), []);
      assert.deepEqual(
        await allowed(task, reads),
        backupTagged(stack) ? reads.map((r) => `${r.action} on ${r.resource}`) : [],
      );

      // The backup bucket's own policy denies, explicitly, even an allowed read over plain HTTP.
      const object = where.backupObject[0]!;
      const read = { action: "s3:GetObject", resource: object };
      const policyFor = resourcePolicies(run);
      assert.equal(await decide(task, read, policyFor(object)), "Allowed");
      assert.equal(
        await decide(task, { ...read, context: { "aws:SecureTransport": "false" } }, policyFor(object)),
        "ExplicitlyDenied",
      );
    });
  }

  it("must grant the bucket reads the integrity check makes (fails on the pre-fix policy)", async () => {
    const run = runs.prod!;
    const backup = "arn:aws:s3:::drox-backup-bucket";
    const checks: Request[] = [
      ...["s3:GetBucketVersioning", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock"].map(
        (action) => ({ action, resource: backup }),
      ),
      { action: "s3:AbortMultipartUpload", resource: `${backup}/drox-prod-assets/a` },
    ];
    const names = (requests: readonly Request[]) => requests.map((r) => `${r.action} on ${r.resource}`);
    assert.deepEqual(await allowed(taskOf("prod"), checks, resourcePolicies(run)), names(checks));
    // The policy as the review found it: the bucket only listed, the objects only copied.
    const before = principalWith([
      { Effect: "Allow", Action: "s3:ListBucket", Resource: backup },
      { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${backup}/*` },
    ]);
    assert.deepEqual(await allowed(before, checks), []);
    // Never on a source bucket: the jobs only read those.
    assert.deepEqual(
      await allowed(taskOf("prod"), [
        { action: "s3:PutObject", resource: "arn:aws:s3:::drox-prod-assets/a" },
        { action: "s3:AbortMultipartUpload", resource: "arn:aws:s3:::drox-prod-assets/a" },
      ]),
      [],
    );
  });

  it("must let the task tag only the tool's own DB snapshots (drox-*), never another's", async () => {
    for (const stack of ["dev", "prod"]) {
      const task = taskOf(stack);
      const regions = snapshotRegions(stack);
      assert.deepEqual(await foreignTaggable(task, regions), [], stack);
      // Its own snapshots, here and in the DR region, stay taggable (CreateDBSnapshot with tags).
      const own = regions.map((region) => ({
        action: "rds:AddTagsToResource",
        resource: `arn:aws:rds:${region}:${ACCOUNT_ID}:snapshot:${snapshotIdentifier("db-prod-1", JOB_ID)}`,
      }));
      assert.deepEqual(
        await allowed(task, own),
        own.map((r) => `${r.action} on ${r.resource}`),
        stack,
      );
    }
    assert.deepEqual(
      snapshotRegions("prod"),
      ["ap-northeast-2", "ap-northeast-1"],
      "prod copies to a DR region",
    );
  });

  it("must let every role use the stack key only through the services that hold what its code reads and writes", async () => {
    for (const stack of ["dev", "prod"]) {
      const run = runs[stack]!;
      const stackKey = stackKeyOf(run);
      const keyPolicy = resourcePolicies(run);
      const role = (name: string) => principalOf(run, `drox-backup-${name}`);
      // The task: derived from the SDK calls reachable from the CLI and the resources they touch.
      const taskNeeds = keyServicesFor(callsFrom(TASK_ENTRY), samples(run, stack, []));
      assert.deepEqual(taskNeeds, ["dynamodb", "s3", "sns"], `${stack}: what the task's calls decrypt`);
      // With a DR region, the copy grants (the account's keys in both regions, only through EC2 and
      // RDS) cover the stack key as well: which key a copy uses is only known at run time.
      // Restore drills do the same in this region (a snapshot's key is only known at run time), so
      // every stack's task may use the account's keys through EC2 and RDS.
      const drillRestores = ["ec2", "rds"];
      assert.deepEqual(
        await keyUse(role("task-role"), stackKey, keyPolicy),
        { direct: [], services: [...new Set([...taskNeeds, ...drillRestores])].sort() },
        stack,
      );
      // The Lambdas read their own secrets, nothing else encrypted with the key.
      for (const fn of ["slack", "notion"]) {
        const env = (
          byName(run, "aws:lambda/function:Function", `drox-backup-${fn}`).inputs.environment as {
            variables: Record<string, string>;
          }
        ).variables;
        const ownSecrets = Object.entries(env)
          .filter(([name]) => name.endsWith("_SECRET_ARN"))
          .map(([, value]) => value);
        const needs = keyServicesFor(lambdaCalls(false), samples(run, stack, ownSecrets));
        assert.deepEqual(needs, ["secretsmanager"], `${stack}: what the ${fn} handler decrypts`);
        assert.deepEqual(await keyUse(role(`${fn}-role`), stackKey, keyPolicy), {
          direct: [],
          services: needs,
        });
      }
      // The execution role: ECS reads the injected secrets through Secrets Manager. The scheduler
      // starts tasks and touches no encrypted data.
      assert.deepEqual(await keyUse(role("execution-role"), stackKey, keyPolicy), {
        direct: [],
        services: ["secretsmanager"],
      });
      assert.deepEqual(await keyUse(role("role"), stackKey, keyPolicy), { direct: [], services: [] });
    }
  });

  it("must report a stack key grant without kms:ViaService, or through a service nothing needs (the check itself)", async () => {
    const key = `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/0000`;
    const keyPolicy = () => ({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ACCOUNT_ID}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    });
    // The grant as it was before issue 14.
    const before = principalWith([
      { Effect: "Allow", Sid: "UseStackKey", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: key },
    ]);
    assert.deepEqual(await keyUse(before, key, keyPolicy), { direct: KEY_ACTIONS, services: KEY_CANDIDATES });
    // A service beyond what the calls need shows up in the list the test compares exactly.
    const wide = principalWith([
      {
        Effect: "Allow",
        Sid: "Wide",
        Action: "kms:Decrypt",
        Resource: "arn:aws:kms:*:*:key/*",
        Condition: { StringEquals: { "kms:ViaService": [via("s3"), via("lambda")] } },
      },
    ]);
    assert.deepEqual(await keyUse(wide, key, keyPolicy), { direct: [], services: ["lambda", "s3"] });
    // Without the key policy's delegation to the account, KMS refuses even the task's grant.
    assert.deepEqual(await keyUse(wide, key, () => undefined), { direct: [], services: [] });
  });

  it("must report a statement that lets the task tag any DB snapshot (the check itself)", async () => {
    // The statement as it was before issue 14: AddTagsToResource among the RDS actions on `*`.
    const before = principalWith([
      {
        Effect: "Allow",
        Sid: "RdsSnapshots",
        Action: ["rds:AddTagsToResource", "rds:CopyDBSnapshot", "rds:CreateDBSnapshot"],
        Resource: "*",
      },
    ]);
    assert.equal((await foreignTaggable(before, [REGION])).length, FOREIGN_SNAPSHOTS.length);
    // A wildcard action is caught as well, and so is a prefix without its hyphen (droxford-…).
    const loose = principalWith([
      { Effect: "Allow", Action: "rds:Add*", Resource: `arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:*` },
    ]);
    assert.equal((await foreignTaggable(loose, [REGION])).length, FOREIGN_SNAPSHOTS.length);
    const noHyphen = principalWith([
      {
        Effect: "Allow",
        Action: "rds:AddTagsToResource",
        Resource: `arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:drox*`,
      },
    ]);
    assert.deepEqual(await foreignTaggable(noHyphen, [REGION]), [
      `rds:AddTagsToResource on arn:aws:rds:${REGION}:${ACCOUNT_ID}:snapshot:droxford-nightly`,
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
    it(`must grant the ${entry} Lambda what runtime/handlers.ts calls, secrets on its own ARNs only`, async () => {
      for (const [label, stack] of [
        ["dev", "dev"],
        ["prod", "prod"],
        ["prod with a bot token", "prod"],
      ] as const) {
        const botMode = label !== stack;
        const run = runs[label]!;
        const shape = awsShape(run);
        const statements = policyOf(
          byName(run, "aws:iam/rolePolicy:RolePolicy", `drox-backup-${role}-policy`),
        ).Statement;
        const secretsOf = (fn: string) =>
          Object.entries(
            (
              byName(run, "aws:lambda/function:Function", `drox-backup-${fn}`).inputs.environment as {
                variables: Record<string, string>;
              }
            ).variables,
          ).filter(([name]) => name.endsWith("_SECRET_ARN"));
        const ownSecrets = secretsOf(role)
          .map(([, value]) => value)
          .sort();
        assert.ok(ownSecrets.length > 0, `${stack}: ${entry} reads no secret`);
        const all = callsFrom(LAMBDA_ENTRY);
        assert.deepEqual(
          [...all.keys()].sort(),
          ["GetCommand", "GetSecretValueCommand", "HeadBucketCommand", "UpdateCommand"],
          "the handlers' AWS calls",
        );
        for (const call of LINK_CALLS) assert.deepEqual(all.get(call), [LINK_STORE], call);
        for (const [call, file] of Object.entries(REACHED_NOT_CALLED))
          assert.deepEqual(all.get(call), [file]);
        const calls = lambdaCalls(botMode);
        const principal = principalOf(run, `drox-backup-${role}-role`);
        const table = awsShape(run).arn(byName(run, "aws:dynamodb/table:Table", "drox-backup-history"));
        // The link store reads and writes link# items only: each table request names one.
        const requests = requestsFor(calls, samples(run, stack, ownSecrets), false, stackKeyOf(run)).map(
          (r) => (r.request.resource === table ? { ...r, request: { ...r.request, context: LINK_KEY } } : r),
        );
        assert.equal(
          requests.length,
          ownSecrets.length + 1 + (botMode ? 3 : 0),
          "each secret, and the key through Secrets Manager (bot mode: GetItem, UpdateItem, the key through DynamoDB)",
        );
        assert.deepEqual(await refused(principal, requests, resourcePolicies(run)), []);
        const reading = statements.filter((st) => list(st.Action).includes("secretsmanager:GetSecretValue"));
        assert.equal(reading.length, 1);
        assert.deepEqual(list(reading[0]!.Resource).sort(), ownSecrets);
        // Not the other handler's secrets, nor the API token only ECS injects. In bot mode both read
        // the bot token and the Notion token (the Slack notifier completes the page's link).
        const other = role === "slack" ? "notion" : "slack";
        const shared = botMode ? [arn("slack-bot-token"), arn("notion-token")] : [];
        assert.deepEqual(
          secretsOf(other)
            .map(([, value]) => value)
            .filter((value) => ownSecrets.includes(value))
            .sort(),
          [...shared].sort(),
          label,
        );
        const apiToken = byName(run, "aws:secretsmanager/secret:Secret", "drox-backup-api-token");
        const foreign = [
          ...secretsOf(other)
            .filter(([, value]) => !shared.includes(value))
            .map(([, value]) => shape.text(value)),
          shape.arn(apiToken),
        ];
        assert.deepEqual(
          await allowed(
            principal,
            foreign.map((resource) => ({ action: "secretsmanager:GetSecretValue", resource })),
          ),
          [],
          stack,
        );
      }
    });
  }
});
