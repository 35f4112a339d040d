import assert from "node:assert/strict";
import {
  byName,
  cachedRun,
  ofType,
  policyOf,
  type ProgramRun,
  type RecordedResource,
} from "./support/pulumi-mocks";

interface Container {
  name: string;
  image: string;
  command: string[];
  portMappings: { containerPort: number }[];
  stopTimeout: number;
  environment: { name: string; value: string }[];
  secrets: { name: string; valueFrom: string }[];
  logConfiguration: { logDriver: string; options: Record<string, string> };
}
const containerOf = (run: ProgramRun): Container =>
  (
    JSON.parse(
      String(
        byName(run, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task").inputs.containerDefinitions,
      ),
    ) as Container[]
  )[0]!;
// Registration order follows input resolution, not code order: compare rule sets sorted.
const bySorted = <T>(items: T[]): T[] =>
  [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const rule = (r: RecordedResource) => {
  const { securityGroupId, ipProtocol, fromPort, toPort, cidrIpv4, cidrIpv6, referencedSecurityGroupId } =
    r.inputs;
  return { securityGroupId, ipProtocol, fromPort, toPort, cidrIpv4, cidrIpv6, referencedSecurityGroupId };
};

describe("infra: service (ECS Fargate behind an ALB)", () => {
  let dev: ProgramRun;
  let prod: ProgramRun;
  before(async () => {
    dev = await cachedRun("dev");
    prod = await cachedRun("prod");
  });

  it("must serve HTTPS with a TLS 1.3 policy and redirect HTTP when a certificate is configured", () => {
    const listeners = ofType(prod, "aws:lb/listener:Listener");
    assert.deepEqual(bySorted(listeners.map((l) => [l.name, l.inputs.protocol, l.inputs.port])), [
      ["drox-backup-http", "HTTP", 80],
      ["drox-backup-https", "HTTPS", 443],
    ]);
    const https = byName(prod, "aws:lb/listener:Listener", "drox-backup-https");
    assert.equal(https.inputs.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.equal(
      https.inputs.certificateArn,
      "arn:aws:acm:ap-northeast-2:123456789012:certificate/4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    );
    assert.deepEqual(https.inputs.defaultActions, [
      { type: "forward", targetGroupArn: "arn:aws:lb:ap-northeast-2:123456789012:drox-backup-tg" },
    ]);
    assert.deepEqual(byName(prod, "aws:lb/listener:Listener", "drox-backup-http").inputs.defaultActions, [
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
  });

  it("must forward plain HTTP only on the explicit allowHttp opt-in", () => {
    const listeners = ofType(dev, "aws:lb/listener:Listener");
    assert.equal(listeners.length, 1);
    assert.equal(listeners[0]!.inputs.protocol, "HTTP");
    assert.equal(listeners[0]!.inputs.port, 80);
    assert.deepEqual(listeners[0]!.inputs.defaultActions, [
      { type: "forward", targetGroupArn: "arn:aws:lb:ap-northeast-2:123456789012:drox-backup-tg" },
    ]);
  });

  it("must open the ALB's listener ports to the world and the task port to the ALB only", () => {
    const albSg = "drox-backup-alb-sg-id";
    const taskSg = "drox-backup-task-sg-id";
    const world = (port: number) => [
      {
        securityGroupId: albSg,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: "0.0.0.0/0",
        cidrIpv6: undefined,
        referencedSecurityGroupId: undefined,
      },
      {
        securityGroupId: albSg,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        cidrIpv4: undefined,
        cidrIpv6: "::/0",
        referencedSecurityGroupId: undefined,
      },
    ];
    const fromAlb = {
      securityGroupId: taskSg,
      ipProtocol: "tcp",
      fromPort: 8080,
      toPort: 8080,
      cidrIpv4: undefined,
      cidrIpv6: undefined,
      referencedSecurityGroupId: albSg,
    };
    const ingress = (run: ProgramRun) =>
      bySorted(ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(rule));
    assert.deepEqual(ingress(dev), bySorted([...world(80), fromAlb]));
    assert.deepEqual(ingress(prod), bySorted([...world(443), ...world(80), fromAlb]));
    assert.deepEqual(
      bySorted(ofType(prod, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map(rule)),
      bySorted([
        {
          securityGroupId: albSg,
          ipProtocol: "tcp",
          fromPort: 8080,
          toPort: 8080,
          cidrIpv4: undefined,
          cidrIpv6: undefined,
          referencedSecurityGroupId: taskSg,
        },
        {
          securityGroupId: taskSg,
          ipProtocol: "tcp",
          fromPort: 443,
          toPort: 443,
          cidrIpv4: "0.0.0.0/0",
          cidrIpv6: undefined,
          referencedSecurityGroupId: undefined,
        },
      ]),
    );
    for (const sg of ofType(prod, "aws:ec2/securityGroup:SecurityGroup")) {
      assert.equal(sg.inputs.ingress, undefined, "no inline rules next to rule resources");
    }
  });

  it("must health-check /health on 8080 and run the service with a circuit breaker", () => {
    const tg = byName(prod, "aws:lb/targetGroup:TargetGroup", "drox-backup-tg");
    assert.equal(tg.inputs.port, 8080);
    assert.equal(tg.inputs.targetType, "ip");
    assert.deepEqual(tg.inputs.healthCheck, {
      path: "/health",
      matcher: "200",
      interval: 15,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    });
    const service = byName(prod, "aws:ecs/service:Service", "drox-backup-service");
    assert.equal(service.inputs.launchType, "FARGATE");
    assert.equal(service.inputs.desiredCount, 2);
    assert.deepEqual(service.inputs.deploymentCircuitBreaker, { enable: true, rollback: true });
    assert.deepEqual(service.inputs.loadBalancers, [
      {
        targetGroupArn: "arn:aws:lb:ap-northeast-2:123456789012:drox-backup-tg",
        containerName: "app",
        containerPort: 8080,
      },
    ]);
    assert.equal(
      byName(prod, "aws:lb/loadBalancer:LoadBalancer", "drox-backup-alb").inputs.dropInvalidHeaderFields,
      true,
    );
  });

  it("must run tasks in private subnets of its own VPC, or with public IPs in the default VPC", () => {
    const network = (run: ProgramRun) =>
      byName(run, "aws:ecs/service:Service", "drox-backup-service").inputs.networkConfiguration;
    assert.deepEqual(network(prod), {
      subnets: ["drox-backup-vpc-private-a", "drox-backup-vpc-private-b"],
      securityGroups: ["drox-backup-task-sg-id"],
      assignPublicIp: false,
    });
    assert.deepEqual(byName(prod, "awsx:ec2:Vpc", "drox-backup-vpc").inputs.natGateways, {
      strategy: "Single",
    });
    assert.deepEqual(network(dev), {
      subnets: ["drox-backup-vpc-public-a", "drox-backup-vpc-public-b"],
      securityGroups: ["drox-backup-task-sg-id"],
      assignPublicIp: true,
    });
    assert.equal(ofType(dev, "awsx:ec2:Vpc").length, 0);
  });

  it("must build the image from the repo's Dockerfile and run `drox-backup serve` (the CLI is the ENTRYPOINT) with the runtime contract", () => {
    const image = byName(prod, "awsx:ecr:Image", "drox-backup-image");
    assert.equal(image.inputs.context, ".");
    assert.equal(image.inputs.dockerfile, "./Dockerfile");
    assert.equal(
      image.inputs.repositoryUrl,
      "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/drox-backup-repo",
    );
    const container = containerOf(prod);
    assert.equal(container.name, "app");
    assert.match(container.image, /drox-backup-image@sha256:/);
    assert.deepEqual(container.command, ["serve"]);
    assert.deepEqual(container.portMappings, [{ containerPort: 8080, protocol: "tcp" }]);
    assert.deepEqual(Object.fromEntries(container.environment.map((e) => [e.name, e.value])), {
      AWS_REGION: "ap-northeast-2",
      BACKUP_BUCKET: "drox-backup-bucket",
      DISPLAY_TIME_ZONE: "Asia/Seoul",
      DRILL_DEADLINE_MINUTES: "120",
      DRILL_ENABLED: "true",
      DRILL_S3_SAMPLE: "100",
      DR_REGION: "ap-northeast-1",
      DR_RETENTION_DAYS: "30",
      EBS_VOLUME_IDS: "vol-0123456789abcdef0,vol-0fedcba9876543210",
      EVENTS_TOPIC_ARN: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events",
      HISTORY_RETENTION_DAYS: "400",
      HISTORY_TABLE: "drox-backup-history",
      NOTION_DATABASE_ID: "0123456789abcdef0123456789abcdef",
      PORT: "8080",
      RDS_INSTANCE_IDS: "db-prod-1",
      RETENTION_DAYS: "30",
      S3_BATCH_ROLE_ARN: "arn:aws:iam:ap-northeast-2:123456789012:drox-backup-s3-batch-role",
      S3_SOURCE_BUCKETS: "drox-prod-assets,drox-prod-uploads",
      SHUTDOWN_GRACE_SECONDS: "20",
      SUCCESS_RATE_OK: "0.95",
      SUCCESS_RATE_WARN: "0.8",
      TRUST_PROXY_HOPS: "1",
    });
    assert.equal(
      Object.fromEntries(containerOf(dev).environment.map((e) => [e.name, e.value])).BACKUP_TAG,
      "Backup=true",
    );
    assert.deepEqual(container.logConfiguration, {
      logDriver: "awslogs",
      options: {
        "awslogs-group": "drox-backup-logs",
        "awslogs-region": "ap-northeast-2",
        "awslogs-stream-prefix": "app",
      },
    });
    const task = byName(prod, "aws:ecs/taskDefinition:TaskDefinition", "drox-backup-task");
    assert.equal(task.inputs.family, "drox-backup-prod");
    assert.equal(task.inputs.cpu, "1024");
    assert.equal(task.inputs.memory, "2048");
  });

  it("must let only ECS tasks of this account assume the task and execution roles", () => {
    // Both are assumed through ecs-tasks.amazonaws.com (ECS's task role and task execution role
    // guides), with aws:SourceAccount against the confused deputy.
    for (const name of ["drox-backup-task-role", "drox-backup-execution-role"]) {
      assert.deepEqual(policyOf(byName(prod, "aws:iam/role:Role", name), "assumeRolePolicy").Statement, [
        {
          Effect: "Allow",
          Principal: { Service: "ecs-tasks.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        },
      ]);
    }
  });

  it("must let the execution role pull, log and read exactly the injected secrets", () => {
    const secret = (role: string) => `arn:aws:secretsmanager:ap-northeast-2:123456789012:drox-backup-${role}`;
    assert.deepEqual(
      policyOf(byName(prod, "aws:iam/rolePolicy:RolePolicy", "drox-backup-execution-policy")).Statement,
      [
        { Effect: "Allow", Sid: "EcrAuth", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Effect: "Allow",
          Sid: "PullImage",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: "arn:aws:ecr:ap-northeast-2:123456789012:drox-backup-repo",
        },
        {
          Effect: "Allow",
          Sid: "WriteLogs",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "arn:aws:cloudwatch:ap-northeast-2:123456789012:drox-backup-logs:*",
        },
        {
          Effect: "Allow",
          Sid: "InjectSecrets",
          Action: "secretsmanager:GetSecretValue",
          Resource: [
            secret("slack-webhook"),
            secret("slack-alerts-webhook"),
            secret("slack-reports-webhook"),
            secret("notion-token"),
            secret("api-token"),
          ],
        },
        {
          // Issue 14: the key only through Secrets Manager, as ECS reads the injected secrets.
          Effect: "Allow",
          Sid: "DecryptSecrets",
          Action: "kms:Decrypt",
          Resource: "arn:aws:kms:ap-northeast-2:123456789012:drox-backup-key",
          Condition: { StringEquals: { "kms:ViaService": ["secretsmanager.ap-northeast-2.amazonaws.com"] } },
        },
      ],
    );
  });

  it("must scope the task role to snapshots, the backup and source buckets, the events topic and the table", () => {
    const statements = policyOf(
      byName(prod, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
    ).Statement;
    const viaService = [
      "ec2.ap-northeast-2.amazonaws.com",
      "rds.ap-northeast-2.amazonaws.com",
      "ec2.ap-northeast-1.amazonaws.com",
      "rds.ap-northeast-1.amazonaws.com",
    ];
    const keys = [
      "arn:aws:kms:ap-northeast-2:123456789012:key/*",
      "arn:aws:kms:ap-northeast-1:123456789012:key/*",
    ];
    assert.deepEqual(statements, [
      {
        Effect: "Allow",
        Sid: "EbsSnapshots",
        Action: ["ec2:CreateSnapshot", "ec2:CopySnapshot", "ec2:DescribeSnapshots", "ec2:DescribeVolumes"],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Sid: "TagNewSnapshots",
        Action: "ec2:CreateTags",
        Resource: "*",
        Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CopySnapshot"] } },
      },
      {
        Effect: "Allow",
        Sid: "DeleteOwnEbsSnapshots",
        Action: "ec2:DeleteSnapshot",
        Resource: "arn:aws:ec2:*::snapshot/*",
        Condition: { StringEquals: { "aws:ResourceTag/drox-backup:managed": "true" } },
      },
      {
        Effect: "Allow",
        Sid: "RdsSnapshots",
        Action: [
          "rds:CopyDBSnapshot",
          "rds:CreateDBSnapshot",
          "rds:DescribeDBInstances",
          "rds:DescribeDBSnapshots",
        ],
        Resource: "*",
      },
      {
        // Issue 14: tagging only the tool's own snapshots (drox-*), here and in the DR region.
        Effect: "Allow",
        Sid: "TagOwnRdsSnapshots",
        Action: "rds:AddTagsToResource",
        Resource: [
          "arn:aws:rds:ap-northeast-2:123456789012:snapshot:drox-*",
          "arn:aws:rds:ap-northeast-1:123456789012:snapshot:drox-*",
        ],
      },
      {
        Effect: "Allow",
        Sid: "DeleteOwnRdsSnapshots",
        Action: "rds:DeleteDBSnapshot",
        Resource: "arn:aws:rds:*:123456789012:snapshot:*",
        Condition: { StringEquals: { "rds:snapshot-tag/drox-backup:managed": "true" } },
      },
      {
        Effect: "Allow",
        Sid: "BackupBucketList",
        Action: [
          "s3:ListBucket",
          "s3:GetBucketVersioning",
          "s3:GetEncryptionConfiguration",
          "s3:GetBucketPublicAccessBlock",
        ],
        Resource: "arn:aws:s3:::drox-backup-bucket",
      },
      {
        Effect: "Allow",
        Sid: "BackupBucketObjects",
        Action: [
          "s3:GetObject",
          "s3:PutObject",
          "s3:GetObjectTagging",
          "s3:PutObjectTagging",
          "s3:AbortMultipartUpload",
        ],
        Resource: "arn:aws:s3:::drox-backup-bucket/*",
      },
      {
        Effect: "Allow",
        Sid: "PublishEvents",
        Action: "sns:Publish",
        Resource: "arn:aws:sns:ap-northeast-2:123456789012:drox-backup-events",
      },
      {
        Effect: "Allow",
        Sid: "History",
        Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        Resource: [
          "arn:aws:dynamodb:ap-northeast-2:123456789012:drox-backup-history",
          "arn:aws:dynamodb:ap-northeast-2:123456789012:drox-backup-history/index/*",
        ],
      },
      {
        Effect: "Allow",
        Sid: "UseStackKey",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "arn:aws:kms:ap-northeast-2:123456789012:drox-backup-key",
        // Issue 14: only through the services holding the task's data (backup objects, events, history).
        Condition: {
          StringEquals: {
            "kms:ViaService": [
              "s3.ap-northeast-2.amazonaws.com",
              "sns.ap-northeast-2.amazonaws.com",
              "dynamodb.ap-northeast-2.amazonaws.com",
            ],
          },
        },
      },
      // Issue 10: restore drills create and delete only what carries the drill tag / name.
      {
        Effect: "Allow",
        Sid: "DrillDescribe",
        Action: ["ec2:DescribeAvailabilityZones", "rds:DescribeOrderableDBInstanceOptions"],
        Resource: "*",
      },
      {
        Effect: "Allow",
        Sid: "DrillCreateVolumes",
        Action: "ec2:CreateVolume",
        Resource: "arn:aws:ec2:ap-northeast-2:123456789012:volume/*",
        Condition: { Null: { "aws:RequestTag/drox-backup:drill": "false" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillVolumesFromOwnSnapshots",
        Action: "ec2:CreateVolume",
        Resource: "arn:aws:ec2:ap-northeast-2::snapshot/*",
        Condition: { StringEquals: { "aws:ResourceTag/drox-backup:managed": "true" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillTagNewVolumes",
        Action: "ec2:CreateTags",
        Resource: "arn:aws:ec2:ap-northeast-2:123456789012:volume/*",
        Condition: {
          StringEquals: { "ec2:CreateAction": "CreateVolume" },
          Null: { "aws:RequestTag/drox-backup:drill": "false" },
        },
      },
      {
        Effect: "Allow",
        Sid: "DrillDeleteVolumes",
        Action: "ec2:DeleteVolume",
        Resource: "arn:aws:ec2:ap-northeast-2:123456789012:volume/*",
        Condition: { Null: { "aws:ResourceTag/drox-backup:drill": "false" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillRestoreInstances",
        Action: "rds:RestoreDBInstanceFromDBSnapshot",
        Resource: [
          "arn:aws:rds:ap-northeast-2:123456789012:db:drox-drill-*",
          "arn:aws:rds:ap-northeast-2:123456789012:snapshot:drox-*",
          "arn:aws:rds:ap-northeast-2:123456789012:subgrp:*",
          "arn:aws:rds:ap-northeast-2:123456789012:og:*",
          "arn:aws:rds:ap-northeast-2:123456789012:pg:*",
        ],
      },
      {
        Effect: "Allow",
        Sid: "DrillTagNewInstances",
        Action: "rds:AddTagsToResource",
        Resource: "arn:aws:rds:ap-northeast-2:123456789012:db:drox-drill-*",
      },
      {
        Effect: "Allow",
        Sid: "DrillDeleteInstances",
        Action: "rds:DeleteDBInstance",
        Resource: "arn:aws:rds:ap-northeast-2:123456789012:db:drox-drill-*",
        Condition: { Null: { "aws:ResourceTag/drox-backup:drill": "false" } },
      },
      {
        Effect: "Allow",
        Sid: "DrillLocks",
        Action: "dynamodb:DeleteItem",
        Resource: "arn:aws:dynamodb:ap-northeast-2:123456789012:drox-backup-history",
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["drill-lock#*"] } },
      },
      {
        Effect: "Allow",
        Sid: "DrillRestoreKeys",
        Action: [
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncrypt*",
          "kms:CreateGrant",
        ],
        Resource: "arn:aws:kms:ap-northeast-2:123456789012:key/*",
        Condition: {
          StringEquals: {
            "kms:ViaService": ["ec2.ap-northeast-2.amazonaws.com", "rds.ap-northeast-2.amazonaws.com"],
          },
        },
      },
      // Issue 15: S3 Batch Operations copy jobs, started with their own role and only that one.
      { Effect: "Allow", Sid: "S3BatchCreateJob", Action: "s3:CreateJob", Resource: "*" },
      {
        Effect: "Allow",
        Sid: "S3BatchDescribeJob",
        Action: "s3:DescribeJob",
        Resource: "arn:aws:s3:ap-northeast-2:123456789012:job/*",
      },
      {
        Effect: "Allow",
        Sid: "PassS3BatchRole",
        Action: "iam:PassRole",
        Resource: "arn:aws:iam::123456789012:role/drox-backup-s3-batch-role",
        Condition: { StringEquals: { "iam:PassedToService": "batchoperations.s3.amazonaws.com" } },
      },
      {
        Effect: "Allow",
        Sid: "CrossRegionCopyKeys",
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: keys,
        Condition: { StringEquals: { "kms:ViaService": viaService } },
      },
      {
        Effect: "Allow",
        Sid: "CrossRegionCopyGrants",
        Action: "kms:CreateGrant",
        Resource: keys,
        Condition: {
          StringEquals: { "kms:ViaService": viaService },
          Bool: { "kms:GrantIsForAWSResource": "true" },
        },
      },
      {
        Effect: "Allow",
        Sid: "SourceBucketsList",
        Action: "s3:ListBucket",
        Resource: ["arn:aws:s3:::drox-prod-assets", "arn:aws:s3:::drox-prod-uploads"],
      },
      {
        Effect: "Allow",
        Sid: "SourceBucketsRead",
        Action: ["s3:GetObject", "s3:GetObjectTagging"],
        Resource: ["arn:aws:s3:::drox-prod-assets/*", "arn:aws:s3:::drox-prod-uploads/*"],
      },
    ]);
    // Without a DR region (dev) there is no KMS use beyond the stack key; with a backup tag,
    // targets are discovered at run time.
    const devStatements = policyOf(
      byName(dev, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
    ).Statement;
    assert.deepEqual(
      devStatements.map((st) => st.Sid),
      [
        "EbsSnapshots",
        "TagNewSnapshots",
        "DeleteOwnEbsSnapshots",
        "RdsSnapshots",
        "TagOwnRdsSnapshots",
        "DeleteOwnRdsSnapshots",
        "BackupBucketList",
        "BackupBucketObjects",
        "PublishEvents",
        "History",
        "UseStackKey",
        // Restore drills can be started on any stack (CLI, POST /api/backups/drill).
        "DrillDescribe",
        "DrillCreateVolumes",
        "DrillVolumesFromOwnSnapshots",
        "DrillTagNewVolumes",
        "DrillDeleteVolumes",
        "DrillRestoreInstances",
        "DrillTagNewInstances",
        "DrillDeleteInstances",
        "DrillLocks",
        "DrillRestoreKeys",
        "S3BatchCreateJob",
        "S3BatchDescribeJob",
        "PassS3BatchRole",
        "FindTaggedTargets",
        "SourceBucketsList",
        "SourceBucketsRead",
      ],
    );
    assert.deepEqual(devStatements.find((st) => st.Sid === "FindTaggedTargets")?.Action, [
      "s3:ListAllMyBuckets",
      "s3:GetBucketTagging",
    ]);
  });

  it("must grant snapshot deletion only through the statements conditioned on the managed tag", () => {
    for (const run of [dev, prod]) {
      const statements = policyOf(
        byName(run, "aws:iam/rolePolicy:RolePolicy", "drox-backup-task-policy"),
      ).Statement;
      const deleting = statements.filter((st) =>
        ([] as string[])
          .concat(st.Action as string | string[])
          .some((a) => a === "ec2:DeleteSnapshot" || a === "rds:DeleteDBSnapshot"),
      );
      assert.deepEqual(
        deleting.map((st) => st.Sid),
        ["DeleteOwnEbsSnapshots", "DeleteOwnRdsSnapshots"],
      );
      for (const st of statements) {
        const actions = ([] as string[]).concat(st.Action as string | string[]);
        assert.ok(
          actions.every((a) => !a.endsWith(":*") && a !== "*"),
          `${String(st.Sid)} uses a wildcard action`,
        );
      }
    }
  });

  it("must stop the container after the service's shutdown grace, and drain the target as long", async () => {
    const stop = (run: ProgramRun) => {
      const env = Object.fromEntries(containerOf(run).environment.map((e) => [e.name, e.value]));
      const tg = byName(run, "aws:lb/targetGroup:TargetGroup", "drox-backup-tg");
      return {
        grace: env.SHUTDOWN_GRACE_SECONDS,
        stopTimeout: containerOf(run).stopTimeout,
        deregistrationDelay: tg.inputs.deregistrationDelay,
        healthCheckPath: (tg.inputs.healthCheck as { path: string }).path,
      };
    };
    assert.deepEqual(stop(prod), {
      grace: "20",
      stopTimeout: 30,
      deregistrationDelay: 30,
      healthCheckPath: "/health",
    });
    assert.deepEqual(stop(await cachedRun("prod", { shutdownGraceSeconds: "45" })), {
      grace: "45",
      stopTimeout: 55,
      deregistrationDelay: 55,
      healthCheckPath: "/health",
    });
  });
});
