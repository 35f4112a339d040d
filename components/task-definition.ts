/**
 * The Fargate task definition the HTTP service and the scheduled jobs share, and what it stands
 * on: the image built from the repo's Dockerfile into its own ECR repository, the container's log
 * group, the execution role (pull the image, write the logs, inject the secrets) and the task role
 * (the jobs' permissions, task-permissions.ts).
 *
 * Secrets reach the container through ECS `secrets` (Secrets Manager ARNs resolved at task start),
 * never `environment`. Children belong to the Service component (`parent`), named `${name}-<role>`.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { assumeRolePolicy, policyDocument, viaServices, type Statement } from "./iam";
import { createS3BatchRole } from "./s3-batch-role";
import { taskStatements, type TaskPermissions } from "./task-permissions";

export const CONTAINER_NAME = "app";
export const CONTAINER_PORT = 8080;

export interface TaskDefinitionArgs {
  /** AWS account id, for trust policies. */
  readonly accountId: pulumi.Input<string>;
  /** Region, for the container's log configuration and the task role's ARNs. */
  readonly region: pulumi.Input<string>;
  /** Task definition family (unique per stack and account). */
  readonly family: string;
  /** Docker build context. */
  readonly buildContext: string;
  /** The container's whole plain environment (the Service adds the variables it owns). */
  readonly environment: Record<string, pulumi.Input<string>>;
  /** Container env var name → Secrets Manager ARN, injected by ECS at start. */
  readonly secrets: Record<string, pulumi.Input<string>>;
  /** Seconds between SIGTERM and SIGKILL (ECS stopTimeout). */
  readonly stopTimeout: number;
  /** What the task role may touch. */
  readonly permissions: TaskPermissions;
  /** Task CPU units. */
  readonly cpu: number;
  /** Task memory (MiB). */
  readonly memory: number;
  /** Container log retention in days. */
  readonly logRetentionDays: number;
  /** Tags for every resource. */
  readonly tags: Record<string, string>;
}

export interface TaskResources {
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly taskRole: aws.iam.Role;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
}

/** What the execution role's statements name. */
export interface ExecutionPermissions {
  readonly repositoryArn: pulumi.Input<string>;
  readonly logGroupArn: pulumi.Input<string>;
  /** The secrets ECS injects (Secrets Manager ARNs); none, no secret statement. */
  readonly secretArns: readonly pulumi.Input<string>[];
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
}

/**
 * What ECS does with the execution role at task start: pull the image, create the container's log
 * stream and write to it, and read the injected secrets
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
 */
export function executionStatements(p: ExecutionPermissions): Statement[] {
  return [
    { Sid: "EcrAuth", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullImage",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: p.repositoryArn,
    },
    {
      Sid: "WriteLogs",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: pulumi.interpolate`${p.logGroupArn}:*`,
    },
    ...(p.secretArns.length > 0
      ? [
          { Sid: "InjectSecrets", Action: "secretsmanager:GetSecretValue", Resource: p.secretArns },
          {
            // ECS reads the secrets through Secrets Manager, which decrypts with the stack key.
            Sid: "DecryptSecrets",
            Action: "kms:Decrypt",
            Resource: p.kmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": viaServices(["secretsmanager"], p.region) } },
          },
        ]
      : []),
  ];
}

/** Registers the image, log group, roles and task definition as children of `parent`. */
export function taskDefinition(
  name: string,
  args: TaskDefinitionArgs,
  parent: pulumi.Resource,
): TaskResources {
  const { tags } = args;
  const repository = new aws.ecr.Repository(
    `${name}-repo`,
    {
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: false,
      tags,
    },
    { parent },
  );
  new aws.ecr.LifecyclePolicy(
    `${name}-repo-lifecycle`,
    {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "keep the last 10 images",
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
            action: { type: "expire" },
          },
        ],
      }),
    },
    { parent },
  );
  const image = new awsx.ecr.Image(
    `${name}-image`,
    {
      repositoryUrl: repository.repositoryUrl,
      context: args.buildContext,
      dockerfile: `${args.buildContext}/Dockerfile`,
      platform: "linux/amd64",
    },
    { parent },
  );

  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { retentionInDays: args.logRetentionDays, tags },
    { parent },
  );

  const executionRole = new aws.iam.Role(
    `${name}-execution-role`,
    { assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", args.accountId), tags },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-execution-policy`,
    {
      role: executionRole.id,
      policy: policyDocument(
        executionStatements({
          repositoryArn: repository.arn,
          logGroupArn: logGroup.arn,
          secretArns: Object.values(args.secrets),
          kmsKeyArn: args.permissions.kmsKeyArn,
          region: args.region,
        }),
      ),
    },
    { parent },
  );

  // The role of the S3 Batch Operations copy jobs the task starts (runtime/jobs/s3-batch.ts): the
  // task may pass it to Batch Operations, and finds it in S3_BATCH_ROLE_ARN.
  const s3BatchRole = createS3BatchRole(
    name,
    {
      backupBucketArn: args.permissions.backupBucketArn,
      kmsKeyArn: args.permissions.kmsKeyArn,
      sourceBuckets: args.permissions.sourceBuckets ?? [],
      accountId: args.accountId,
      region: args.region,
      tags,
    },
    { parent },
  );

  const taskRole = new aws.iam.Role(
    `${name}-task-role`,
    { assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", args.accountId), tags },
    { parent },
  );
  new aws.iam.RolePolicy(
    `${name}-task-policy`,
    {
      role: taskRole.id,
      policy: policyDocument(
        taskStatements(
          { ...args.permissions, s3BatchRoleName: s3BatchRole.name },
          { accountId: args.accountId, region: args.region },
        ),
      ),
    },
    { parent },
  );

  const containerDefinitions = pulumi
    .all([
      image.imageUri,
      logGroup.name,
      args.region,
      pulumi.output({ ...args.environment, S3_BATCH_ROLE_ARN: s3BatchRole.arn }),
      pulumi.output(args.secrets),
    ])
    .apply(([imageUri, logGroupName, region, env, secrets]) =>
      JSON.stringify([
        {
          name: CONTAINER_NAME,
          image: imageUri,
          essential: true,
          // The image's ENTRYPOINT is the CLI (`node dist/runtime/cli.js`); commands are its arguments.
          command: ["serve"],
          portMappings: [{ containerPort: CONTAINER_PORT, protocol: "tcp" }],
          // SIGTERM, then SHUTDOWN_GRACE_SECONDS for background runs, then SIGKILL with a margin.
          stopTimeout: args.stopTimeout,
          environment: Object.entries(env)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([envName, value]) => ({ name: envName, value })),
          secrets: Object.entries(secrets)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([envName, valueFrom]) => ({ name: envName, valueFrom })),
          logConfiguration: {
            logDriver: "awslogs",
            options: {
              "awslogs-group": logGroupName,
              "awslogs-region": region,
              "awslogs-stream-prefix": "app",
            },
          },
        },
      ]),
    );
  const definition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: args.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(args.cpu),
      memory: String(args.memory),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      containerDefinitions,
      tags,
    },
    { parent },
  );
  return { taskDefinition: definition, taskRole, executionRole, logGroup };
}
