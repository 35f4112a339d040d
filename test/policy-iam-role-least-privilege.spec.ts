import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { iamRoleLeastPrivilege } from "../policy/iam-role-least-privilege";
import { Fixture, fixture, rawFixture, runStackPolicy, UNKNOWN_STRING } from "./support/policy-harness";
import { asFirstPreview, stackUnderPolicy } from "./support/policy-program";

const ACCOUNT = "123456789012";
const trust = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
type Document = pulumi.Unwrap<aws.iam.PolicyDocument>;
const doc = (...Statement: Document["Statement"]): Document => ({ Version: "2012-10-17", Statement });
const STAR = doc({ Effect: "Allow", Action: "*", Resource: "*" });

/** A role as the provider reports it: name and ARN known. */
const role = (name: string, service: string, extra: Partial<aws.iam.RoleArgs> = {}) =>
  fixture(
    aws.iam.Role,
    name,
    { assumeRolePolicy: trust(service), ...(extra as object) },
    { outputs: { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, name: `${name}-1234` } },
  );
const inline = (name: string, roleName: string, policy: Document | string) =>
  fixture(aws.iam.RolePolicy, name, {
    role: `${roleName}-1234`,
    policy: typeof policy === "string" ? policy : JSON.stringify(policy),
  });
const attach = (name: string, roleName: string, policyArn: string) =>
  fixture(aws.iam.RolePolicyAttachment, name, { role: `${roleName}-1234`, policyArn });
const arnOf = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

// One compliant stack with every kind of role the program creates, each scoped as the program does.
const lambdaRole = role("slack-role", "lambda.amazonaws.com");
const lambda = [
  lambdaRole,
  fixture(aws.lambda.Function, "slack-notifier", { role: arnOf("slack-role"), runtime: "nodejs22.x" }),
  inline(
    "slack-policy",
    "slack-role",
    doc(
      { Effect: "Allow", Action: ["sns:Publish"], Resource: `arn:aws:sns:ap-northeast-2:${ACCOUNT}:events` },
      {
        Effect: "Allow",
        Action: "secretsmanager:GetSecretValue",
        Resource: "arn:aws:secretsmanager:*:*:secret:drox-*",
      },
    ),
  ),
  attach("slack-logs", "slack-role", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
];
const taskRole = role("task-role", "ecs-tasks.amazonaws.com");
const executionRole = role("execution-role", "ecs-tasks.amazonaws.com");
const ecs = [
  taskRole,
  executionRole,
  fixture(aws.ecs.TaskDefinition, "task", {
    family: "drox-backup-dev",
    containerDefinitions: "[]",
    taskRoleArn: arnOf("task-role"),
    executionRoleArn: arnOf("execution-role"),
  }),
  inline(
    "task-policy",
    "task-role",
    doc(
      // Describe calls have no resource-level permissions: `*` with named actions is scoped.
      { Effect: "Allow", Action: ["ec2:DescribeSnapshots", "ec2:DescribeVolumes"], Resource: "*" },
      // A whole service on named resources is not `service:*` on `*`.
      { Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::drox-backup-bucket/*" },
      // A Deny takes away; it never grants.
      { Effect: "Deny", Action: "*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ),
  ),
  attach(
    "execution-managed",
    "execution-role",
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
  ),
];
const schedulerRole = role("scheduler-role", "scheduler.amazonaws.com");
const scheduleProps = {
  scheduleExpression: "cron(0 2 * * ? *)",
  flexibleTimeWindow: { mode: "OFF" },
  target: { arn: `arn:aws:ecs:ap-northeast-2:${ACCOUNT}:cluster/drox`, roleArn: arnOf("scheduler-role") },
};
const scheduler = [
  schedulerRole,
  fixture(aws.scheduler.Schedule, "ebs", scheduleProps),
  inline(
    "scheduler-policy",
    "scheduler-role",
    doc(
      {
        Effect: "Allow",
        Action: "ecs:RunTask",
        Resource: `arn:aws:ecs:*:${ACCOUNT}:task-definition/drox-backup-dev:*`,
      },
      { Effect: "Allow", Action: "iam:PassRole", Resource: [arnOf("task-role"), arnOf("execution-role")] },
    ),
  ),
];
const chatbotRole = role("chatbot-role", "chatbot.amazonaws.com");
// A guardrail limits what the channel may run: even a wide one is no grant.
const guardrail = fixture(
  aws.iam.Policy,
  "chatbot-guardrail",
  { policy: JSON.stringify(doc({ Effect: "Allow", Action: "cloudwatch:*", Resource: "*" })) },
  { outputs: { arn: `arn:aws:iam::${ACCOUNT}:policy/chatbot-guardrail` } },
);
const chatbot = [
  chatbotRole,
  attach("chatbot-read", "chatbot-role", "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"),
  guardrail,
  fixture(aws.chatbot.SlackChannelConfiguration, "alerts", {
    configurationName: "drox-backup-dev",
    iamRoleArn: arnOf("chatbot-role"),
    slackTeamId: "T0123ABCD",
    slackChannelId: "C0123ABCD",
    guardrailPolicyArns: [
      "arn:aws:iam::aws:policy/ReadOnlyAccess",
      `arn:aws:iam::${ACCOUNT}:policy/chatbot-guardrail`,
    ],
  }),
];
const otherRole = role("ops-role", "ec2.amazonaws.com");
const other = [
  otherRole,
  inline("ops-policy", "ops-role", doc({ Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" })),
];
const compliant = [...lambda, ...ecs, ...scheduler, ...chatbot, ...other];

async function violations(resources: Fixture[], config = {}) {
  return (await runStackPolicy(iamRoleLeastPrivilege, resources, config)).violations;
}

/** Both roles of a task definition: what its code calls, and what ECS itself needs to start it. */
const TASK_FIX =
  "grant the specific actions on the specific resources the task's code calls (e.g. s3:GetObject on the " +
  "source buckets' objects); for an execution role, ecr:GetAuthorizationToken, the image pull on its " +
  "repository, logs on its log group and secretsmanager:GetSecretValue on the injected secrets";

/** Each kind of role: how the message names it, and the fix it offers. */
const KINDS = [
  {
    role: lambdaRole,
    named: 'Role "slack-role" of Lambda "slack-notifier"',
    fix:
      "grant the specific actions on the specific resources the function uses (e.g. sns:Publish on the topic, " +
      "secretsmanager:GetSecretValue on its secrets)",
  },
  {
    role: taskRole,
    named: 'Role "task-role" of ECS task definition "task" (task role)',
    fix: TASK_FIX,
  },
  {
    role: executionRole,
    named: 'Role "execution-role" of ECS task definition "task" (execution role)',
    fix: TASK_FIX,
  },
  {
    role: schedulerRole,
    named: 'Role "scheduler-role" of schedule "ebs"',
    fix:
      "grant ecs:RunTask on the task family (with an ecs:cluster condition), iam:PassRole on the task's roles " +
      "(iam:PassedToService ecs-tasks.amazonaws.com) and sqs:SendMessage on the dead-letter queue",
  },
  {
    role: chatbotRole,
    named: 'Role "chatbot-role" of Chatbot channel "alerts"',
    fix:
      "attach a read-only policy such as arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess; what channel members " +
      "may run is limited by guardrailPolicyArns",
  },
  {
    role: otherRole,
    named: 'Role "ops-role" (assumed by ec2.amazonaws.com)',
    fix: "grant the specific actions on the specific resources the role's user calls",
  },
] as const;

describe("policy iam-role-least-privilege", () => {
  it("must pass every kind of role scoped as the program scopes it, Chatbot's guardrails included", async () => {
    assert.deepEqual(await violations(compliant), []);
  });

  for (const kind of KINDS) {
    it(`must report an attached *FullAccess managed policy at ${kind.named}, with a fix for its kind`, async () => {
      const full = attach(
        `${kind.role.name}-s3`,
        kind.role.name,
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
      );
      const found = await violations([...compliant, full]);
      assert.equal(found.length, 1);
      assert.equal(found[0]!.urn, kind.role.urn);
      assert.equal(found[0]!.enforcementLevel, "mandatory");
      assert.equal(
        found[0]!.message,
        `${kind.named} has the managed policy arn:aws:iam::aws:policy/AmazonS3FullAccess attached. Detach it and ${kind.fix}.`,
      );
    });

    it(`must report an inline "Action": "*" statement at ${kind.named}`, async () => {
      const star = inline(`${kind.role.name}-star`, kind.role.name, STAR);
      const found = await violations([...compliant, star]);
      assert.deepEqual(
        found.map((v) => [v.urn, v.message.split(". ")[0]]),
        [[kind.role.urn, `${kind.named} has an inline policy that allows "Action": "*"`]],
      );
      assert.equal(
        found[0]!.message,
        `${kind.named} has an inline policy that allows "Action": "*". List the actions instead: ${kind.fix}.`,
      );
    });
  }

  it("must report AdministratorAccess in managedPolicyArns and PowerUserAccess through a shared PolicyAttachment", async () => {
    const admin = role("slack-role", "lambda.amazonaws.com", {
      managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
    });
    const power = fixture(aws.iam.PolicyAttachment, "power", {
      policyArn: "arn:aws:iam::aws:policy/PowerUserAccess",
      roles: ["task-role-1234", "scheduler-role-1234"],
    });
    const found = await violations([admin, ...compliant.filter((f) => f !== lambdaRole), power]);
    assert.deepEqual(found.map((v) => v.message.split(". ")[0]).sort(), [
      'Role "scheduler-role" of schedule "ebs" has the managed policy arn:aws:iam::aws:policy/PowerUserAccess attached',
      'Role "slack-role" of Lambda "slack-notifier" has the managed policy arn:aws:iam::aws:policy/AdministratorAccess attached',
      'Role "task-role" of ECS task definition "task" (task role) has the managed policy arn:aws:iam::aws:policy/PowerUserAccess attached',
    ]);
  });

  it('must report a whole service on "Resource": "*", and NotAction on "*", but not a whole service on named resources', async () => {
    const wide = inline(
      "scheduler-wide",
      "scheduler-role",
      doc(
        { Effect: "Allow", Action: ["ecs:*", "iam:PassRole"], Resource: "*" },
        { Effect: "Allow", Action: "SQS:*", Resource: ["*"] },
        { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
        { Effect: "Allow", Action: "sns:*", Resource: `arn:aws:sns:ap-northeast-2:${ACCOUNT}:events` },
      ),
    );
    const found = await violations([...compliant, wide]);
    assert.deepEqual(
      found.map((v) => v.message.split(". ")[0]),
      [
        'Role "scheduler-role" of schedule "ebs" has an inline policy that allows "ecs:*" on "Resource": "*"',
        'Role "scheduler-role" of schedule "ebs" has an inline policy that allows "SQS:*" on "Resource": "*"',
        'Role "scheduler-role" of schedule "ebs" has an inline policy that allows "NotAction" on "Resource": "*"',
      ],
    );
  });

  it('must report "Action": "*" in the role\'s own inlinePolicies, as a document or a JSON string', async () => {
    for (const policy of [JSON.stringify(STAR), STAR]) {
      const star = inline("task-star", "task-role", policy);
      assert.equal((await violations([...compliant, star])).length, 1);
    }
    const inRole = role("execution-role", "ecs-tasks.amazonaws.com", {
      inlinePolicies: [{ name: "all", policy: JSON.stringify(STAR) }],
    });
    const found = await violations([...compliant.filter((f) => f !== executionRole), inRole]);
    assert.deepEqual(
      found.map((v) => v.urn),
      [inRole.urn],
    );
  });

  it('must report an attached customer policy allowing "Action": "*" or a whole service on "*"', async () => {
    const customer = fixture(
      aws.iam.Policy,
      "wide",
      { policy: JSON.stringify(STAR) },
      { outputs: { arn: `arn:aws:iam::${ACCOUNT}:policy/wide` } },
    );
    const onTask = attach("task-wide", "task-role", `arn:aws:iam::${ACCOUNT}:policy/wide`);
    // The Chatbot guardrail itself, attached to the role, is a grant like any other.
    const onChatbot = attach(
      "chatbot-wide",
      "chatbot-role",
      `arn:aws:iam::${ACCOUNT}:policy/chatbot-guardrail`,
    );
    const found = await violations([...compliant, customer, onTask, onChatbot]);
    assert.deepEqual(found.map((v) => v.message.split(". ")[0]).sort(), [
      'Role "chatbot-role" of Chatbot channel "alerts" has policy "chatbot-guardrail" attached, which allows "cloudwatch:*" on "Resource": "*"',
      'Role "task-role" of ECS task definition "task" (task role) has policy "wide" attached, which allows "Action": "*"',
    ]);
  });

  it("must not count a Chatbot guardrail as a grant, even a wide AWS-managed one", async () => {
    const channel = chatbot.find((f) => f.name === "alerts")!;
    const wideGuardrails = {
      ...channel,
      props: { ...channel.props, guardrailPolicyArns: ["arn:aws:iam::aws:policy/AmazonSNSFullAccess"] },
    };
    assert.deepEqual(await violations([...compliant.filter((f) => f !== channel), wideGuardrails]), []);
  });

  it("must name the schedule using a role known only through the dependency graph (first preview)", async () => {
    const schedule = fixture(
      aws.scheduler.Schedule,
      "ebs",
      { ...scheduleProps, target: { ...scheduleProps.target, roleArn: UNKNOWN_STRING } },
      { propertyDependencies: { target: [schedulerRole.urn] } },
    );
    const full = attach("scheduler-full", "scheduler-role", "arn:aws:iam::aws:policy/AmazonECS_FullAccess");
    const resources = [
      ...compliant.filter((f) => f.type !== "aws:scheduler/schedule:Schedule"),
      schedule,
      full,
    ];
    const found = await violations(resources);
    assert.deepEqual(
      found.map((v) => v.message.split(". ")[0]),
      [
        'Role "scheduler-role" of schedule "ebs" has the managed policy arn:aws:iam::aws:policy/AmazonECS_FullAccess attached',
      ],
    );
  });

  it("must pass over a policy document that is unknown at preview", async () => {
    const unknown = inline("task-policy", "task-role", UNKNOWN_STRING);
    const outcome = await runStackPolicy(iamRoleLeastPrivilege, [
      ...compliant.filter((f) => f.name !== "task-policy"),
      unknown,
    ]);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must take the forbidden managed policies from config", async () => {
    const found = await violations(compliant, {
      forbiddenManagedPolicyPattern: "AWSLambdaBasicExecutionRole$|AmazonECSTaskExecutionRolePolicy$",
    });
    assert.deepEqual(found.map((v) => v.urn).sort(), [executionRole.urn, lambdaRole.urn].sort());
  });

  describe("on the program's own roles (dev and prod under mocks)", function () {
    this.timeout(120_000);

    /** How the rule names each role the program creates: every one is found with its user. */
    const EXPECTED: Record<string, readonly string[]> = {
      dev: [
        'Role "drox-backup-execution-role" of ECS task definition "drox-backup-task" (execution role)',
        'Role "drox-backup-notion-role" of Lambda "drox-backup-notion"',
        'Role "drox-backup-role" of schedule "drox-backup-',
        'Role "drox-backup-s3-batch-role" (assumed by batchoperations.s3.amazonaws.com)',
        'Role "drox-backup-slack-role" of Lambda "drox-backup-slack"',
        'Role "drox-backup-task-role" of ECS task definition "drox-backup-task" (task role)',
      ],
      prod: [
        'Role "drox-backup-chatbot-role" of Chatbot channel "drox-backup-chatbot"',
        'Role "drox-backup-execution-role" of ECS task definition "drox-backup-task" (execution role)',
        'Role "drox-backup-notion-role" of Lambda "drox-backup-notion"',
        'Role "drox-backup-role" of schedule "drox-backup-',
        'Role "drox-backup-s3-batch-role" (assumed by batchoperations.s3.amazonaws.com)',
        'Role "drox-backup-slack-role" of Lambda "drox-backup-slack"',
        'Role "drox-backup-task-role" of ECS task definition "drox-backup-task" (task role)',
      ],
    };

    for (const stack of ["dev", "prod"]) {
      it(`must pass the ${stack} stack's roles and report each of them, named by its user, once given AdministratorAccess`, async () => {
        const { resources } = await stackUnderPolicy(stack);
        assert.deepEqual(await violations(resources), []);
        const roles = resources.filter((r) => r.type === "aws:iam/role:Role");
        assert.equal(roles.length, EXPECTED[stack]!.length);
        const admin = roles.map((r) =>
          rawFixture("aws:iam/rolePolicyAttachment:RolePolicyAttachment", `${r.name}-admin`, {
            role: r.props.name,
            policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
          }),
        );
        for (const form of [resources, asFirstPreview(resources)]) {
          const found = (await violations([...form, ...admin])).map((v) => v.message).sort();
          assert.equal(found.length, roles.length);
          found.forEach((message, i) => assert.ok(message.startsWith(EXPECTED[stack]![i]!), message));
          assert.ok(
            found.every((m) =>
              m.includes("has the managed policy arn:aws:iam::aws:policy/AdministratorAccess"),
            ),
          );
        }
      });
    }
  });

  it("must name a role nothing uses and no service assumes as used by nothing", async () => {
    const orphan = fixture(
      aws.iam.Role,
      "orphan-role",
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" },
          ],
        }),
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      },
      { outputs: { arn: arnOf("orphan-role"), name: "orphan-role-1234" } },
    );
    assert.deepEqual(
      (await violations([...compliant, orphan])).map((v) => v.message),
      [
        'Role "orphan-role" (used by nothing in the stack) has the managed policy ' +
          "arn:aws:iam::aws:policy/AdministratorAccess attached. Detach it and grant the specific actions on " +
          "the specific resources the role's user calls.",
      ],
    );
  });

  it("must report a policy attached twice to the same role once", async () => {
    const twice = role("ops-role", "ec2.amazonaws.com", {
      managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"],
    });
    const again = attach("ops-s3", "ops-role", "arn:aws:iam::aws:policy/AmazonS3FullAccess");
    const found = await violations([...compliant.filter((f) => f !== otherRole), twice, again]);
    assert.equal(found.length, 1);
  });

  it('must read "*:*" as every action, and a wildcard within a service\'s action names as no whole service', async () => {
    const wide = inline("ops-wide", "ops-role", doc({ Effect: "Allow", Action: "*:*", Resource: "*" }));
    assert.deepEqual(
      (await violations([...compliant, wide])).map((v) => v.message.split(". ")[0]),
      ['Role "ops-role" (assumed by ec2.amazonaws.com) has an inline policy that allows "Action": "*"'],
    );
    const objects = inline(
      "ops-objects",
      "ops-role",
      doc({ Effect: "Allow", Action: "s3:*Object", Resource: "*" }),
    );
    assert.deepEqual(await violations([...compliant, objects]), []);
  });

  it("must name every user of a shared role, and a role whose trust policy is unknown at preview as unused", async () => {
    const second = fixture(aws.lambda.Function, "notion-logger", {
      role: arnOf("slack-role"),
      runtime: "nodejs22.x",
    });
    const star = inline("slack-star", "slack-role", STAR);
    assert.deepEqual(
      (await violations([...compliant, second, star])).map((v) => v.message.split(" has ")[0]),
      ['Role "slack-role" of Lambda "slack-notifier", Lambda "notion-logger"'],
    );
    const preview = fixture(
      aws.iam.Role,
      "new-role",
      {
        assumeRolePolicy: UNKNOWN_STRING,
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      },
      { outputs: { arn: arnOf("new-role"), name: "new-role-1234" } },
    );
    assert.deepEqual(
      (await violations([...compliant, preview])).map((v) => v.message.split(" has ")[0]),
      ['Role "new-role" (used by nothing in the stack)'],
    );
  });

  it("must name every service a role nothing uses trusts", async () => {
    const shared = fixture(
      aws.iam.Role,
      "jobs-role",
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: ["ecs-tasks.amazonaws.com", "scheduler.amazonaws.com"] },
              Action: "sts:AssumeRole",
            },
          ],
        }),
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      },
      { outputs: { arn: arnOf("jobs-role"), name: "jobs-role-1234" } },
    );
    assert.deepEqual(
      (await violations([...compliant, shared])).map((v) => v.message.split(" has ")[0]),
      ['Role "jobs-role" (assumed by ecs-tasks.amazonaws.com, scheduler.amazonaws.com)'],
    );
  });
});
