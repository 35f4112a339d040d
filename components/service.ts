/**
 * The HTTP service and the task definition the scheduled jobs reuse: the image built from the
 * repo's Dockerfile (awsx ECR image), the network (awsx VPC, or the default VPC), and — declared
 * with @pulumi/aws so tests and policies can see them — the ECS cluster, Fargate task definition
 * and service, ALB, target group, listeners, security groups and IAM roles.
 *
 * HTTPS when a certificate is given (HTTP then only redirects); plain HTTP only on explicit opt-in.
 * Secrets reach the container through ECS `secrets` (Secrets Manager ARNs), never `environment`.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { MANAGED_TAG } from "../runtime/jobs/tags";
import { assumeRolePolicy, policyDocument, type Statement } from "./iam";

export const CONTAINER_NAME = "app";
export const CONTAINER_PORT = 8080;
export const HEALTH_CHECK_PATH = "/health";
/** The ALB is the one proxy in front of the service: the client is the last X-Forwarded-For entry. */
export const TRUST_PROXY_HOPS = 1;
/** Seconds between the service's shutdown grace and SIGKILL, to close connections and flush logs. */
export const STOP_TIMEOUT_MARGIN_SECONDS = 10;
/** ECS's upper bound for a container's stopTimeout on Fargate. */
export const MAX_STOP_TIMEOUT_SECONDS = 120;
/** Variables the component sets itself (it owns the port, the ALB and the stop timeout). */
export const SERVICE_OWNED_ENV = ["PORT", "TRUST_PROXY_HOPS", "SHUTDOWN_GRACE_SECONDS"] as const;
/** TLS 1.3 with TLS 1.2 fallback, AWS's recommended ALB policy. */
export const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface ServiceArgs {
  /** AWS account id, for trust policies. */
  readonly accountId: pulumi.Input<string>;
  /** Region, for the container's log configuration. */
  readonly region: pulumi.Input<string>;
  /** Task definition family (unique per stack and account). @default name */
  readonly family?: string;
  /** Use the account's default VPC (public subnets only) instead of a new VPC. @default false */
  readonly useDefaultVpc?: boolean;
  /** Give tasks public IPs (public subnets, no NAT gateway needed). @default useDefaultVpc */
  readonly assignPublicIp?: boolean;
  /** ACM certificate for the HTTPS listener. @default undefined */
  readonly certificateArn?: pulumi.Input<string>;
  /** Serve plain HTTP without a certificate (explicit opt-in; warns). @default false */
  readonly allowHttp?: boolean;
  /** Docker build context. @default "." */
  readonly buildContext?: string;
  /** Non-secret container environment. @default {} */
  readonly environment?: Record<string, pulumi.Input<string>>;
  /** Container env var name → Secrets Manager ARN, injected by ECS at start. @default {} */
  readonly secrets?: Record<string, pulumi.Input<string>>;
  /**
   * Seconds the service waits for background runs after SIGTERM (SHUTDOWN_GRACE_SECONDS); the
   * container's stopTimeout and the target group's deregistration delay are this plus 10 s. @default 20
   */
  readonly shutdownGraceSeconds?: number;
  /** What the task role may touch. */
  readonly permissions: {
    readonly backupBucketArn: pulumi.Input<string>;
    readonly historyTableArn: pulumi.Input<string>;
    readonly eventsTopicArn: pulumi.Input<string>;
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Buckets backed up by name. @default [] */
    readonly sourceBuckets?: readonly string[];
    /** Targets are also selected by tag (needs tag discovery and read on any bucket). @default false */
    readonly tagDiscovery?: boolean;
    /** Region receiving cross-region copies (KMS use there and in this region). @default undefined */
    readonly drRegion?: string;
  };
  /** Task CPU units. @default 512 */
  readonly cpu?: number;
  /** Task memory (MiB). @default 1024 */
  readonly memory?: number;
  /** Running HTTP tasks. @default 1 */
  readonly desiredCount?: number;
  /** Container log retention in days. @default 30 */
  readonly logRetentionDays?: number;
  /** Tags for every resource. @default {} */
  readonly tags?: Record<string, string>;
}

export class Service extends pulumi.ComponentResource {
  /** The service's base URL. */
  public readonly url: pulumi.Output<string>;
  /** ECS cluster ARN (schedules run tasks here). */
  public readonly clusterArn: pulumi.Output<string>;
  /** Task definition ARN (latest revision). */
  public readonly taskDefinitionArn: pulumi.Output<string>;
  /** Task definition family. */
  public readonly family: string;
  /** Task role ARN. */
  public readonly taskRoleArn: pulumi.Output<string>;
  /** Execution role ARN. */
  public readonly executionRoleArn: pulumi.Output<string>;
  /** Subnets tasks run in. */
  public readonly taskSubnetIds: pulumi.Output<string[]>;
  /** Security group of tasks. */
  public readonly taskSecurityGroupId: pulumi.Output<string>;
  /** Whether tasks get public IPs. */
  public readonly assignPublicIp: boolean;
  /** Container log group (the failed-jobs metric filter reads it). */
  public readonly logGroupName: pulumi.Output<string>;
  /** ALB ARN suffix, for CloudWatch dimensions. */
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  /** Target group ARN suffix, for CloudWatch dimensions. */
  public readonly targetGroupArnSuffix: pulumi.Output<string>;

  constructor(name: string, args: ServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("drox-backup:service:Service", name, {}, opts);
    const useDefaultVpc = args.useDefaultVpc ?? false;
    const assignPublicIp = args.assignPublicIp ?? useDefaultVpc;
    const allowHttp = args.allowHttp ?? false;
    const family = args.family ?? name;
    const cpu = args.cpu ?? 512;
    const memory = args.memory ?? 1024;
    const desiredCount = args.desiredCount ?? 1;
    const logRetentionDays = args.logRetentionDays ?? 30;
    const tags = args.tags ?? {};
    const shutdownGraceSeconds = args.shutdownGraceSeconds ?? 20;
    const stopTimeout = shutdownGraceSeconds + STOP_TIMEOUT_MARGIN_SECONDS;
    if (
      !Number.isInteger(shutdownGraceSeconds) ||
      shutdownGraceSeconds < 1 ||
      stopTimeout > MAX_STOP_TIMEOUT_SECONDS
    ) {
      throw new Error(
        `Service: shutdownGraceSeconds must be a whole number from 1 to ${MAX_STOP_TIMEOUT_SECONDS - STOP_TIMEOUT_MARGIN_SECONDS} (ECS stops a container at most ${MAX_STOP_TIMEOUT_SECONDS} s after SIGTERM)`,
      );
    }
    const owned = SERVICE_OWNED_ENV.filter((key) => key in (args.environment ?? {}));
    if (owned.length > 0) {
      throw new Error(
        `Service: environment sets ${owned.join(", ")}, which the component derives (port, ALB, shutdownGraceSeconds)`,
      );
    }
    if (args.certificateArn !== undefined && allowHttp) {
      throw new Error(
        "Service: certificateArn and allowHttp contradict: with a certificate the service is HTTPS only",
      );
    }
    if (args.certificateArn === undefined && !allowHttp) {
      throw new Error("Service: set certificateArn for HTTPS, or allowHttp to opt in to plain HTTP");
    }
    if (useDefaultVpc && !assignPublicIp) {
      throw new Error(
        "Service: useDefaultVpc and assignPublicIp=false contradict: the default VPC has no NAT, tasks need public IPs",
      );
    }
    const secretNames = Object.keys(args.secrets ?? {});
    const clash = secretNames.filter((key) => key in (args.environment ?? {}));
    if (clash.length > 0) throw new Error(`Service: ${clash.join(", ")} set in both environment and secrets`);

    // Network: a new VPC (tasks in private subnets behind one NAT, or public subnets without NAT
    // when tasks get public IPs) or the default VPC (public subnets only).
    let vpcId: pulumi.Output<string>;
    let publicSubnetIds: pulumi.Output<string[]>;
    let taskSubnetIds: pulumi.Output<string[]>;
    if (useDefaultVpc) {
      const vpc = new awsx.ec2.DefaultVpc(`${name}-vpc`, {}, { parent: this });
      vpcId = vpc.vpcId;
      publicSubnetIds = vpc.publicSubnetIds;
      taskSubnetIds = vpc.publicSubnetIds;
    } else {
      const vpc = new awsx.ec2.Vpc(
        `${name}-vpc`,
        {
          numberOfAvailabilityZones: 2,
          natGateways: { strategy: assignPublicIp ? "None" : "Single" },
          tags,
        },
        { parent: this },
      );
      vpcId = vpc.vpcId;
      publicSubnetIds = vpc.publicSubnetIds;
      taskSubnetIds = assignPublicIp ? vpc.publicSubnetIds : vpc.privateSubnetIds;
    }

    const repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: false,
        tags,
      },
      { parent: this },
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
      { parent: this },
    );
    const image = new awsx.ecr.Image(
      `${name}-image`,
      {
        repositoryUrl: repository.repositoryUrl,
        context: args.buildContext ?? ".",
        dockerfile: `${args.buildContext ?? "."}/Dockerfile`,
        platform: "linux/amd64",
      },
      { parent: this },
    );

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { retentionInDays: logRetentionDays, tags },
      { parent: this },
    );

    const executionRole = new aws.iam.Role(
      `${name}-execution-role`,
      { assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", args.accountId), tags },
      { parent: this },
    );
    const secretArns = Object.values(args.secrets ?? {});
    const executionStatements: Statement[] = [
      { Sid: "EcrAuth", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImage",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: repository.arn,
      },
      {
        Sid: "WriteLogs",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: pulumi.interpolate`${logGroup.arn}:*`,
      },
      ...(secretArns.length > 0
        ? [
            { Sid: "InjectSecrets", Action: "secretsmanager:GetSecretValue", Resource: secretArns },
            { Sid: "DecryptSecrets", Action: "kms:Decrypt", Resource: args.permissions.kmsKeyArn },
          ]
        : []),
    ];
    new aws.iam.RolePolicy(
      `${name}-execution-policy`,
      { role: executionRole.id, policy: policyDocument(executionStatements) },
      { parent: this },
    );

    const taskRole = new aws.iam.Role(
      `${name}-task-role`,
      { assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", args.accountId), tags },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        role: taskRole.id,
        policy: policyDocument(
          taskStatements(args.permissions, { accountId: args.accountId, region: args.region }),
        ),
      },
      { parent: this },
    );

    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: "containerInsights", value: "enabled" }], tags },
      { parent: this },
    );

    const environment = {
      ...(args.environment ?? {}),
      PORT: String(CONTAINER_PORT),
      TRUST_PROXY_HOPS: String(TRUST_PROXY_HOPS),
      SHUTDOWN_GRACE_SECONDS: String(shutdownGraceSeconds),
    };
    const containerDefinitions = pulumi
      .all([
        image.imageUri,
        logGroup.name,
        args.region,
        pulumi.output(environment),
        pulumi.output(args.secrets ?? {}),
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
            stopTimeout,
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
    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: String(cpu),
        memory: String(memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
        executionRoleArn: executionRole.arn,
        taskRoleArn: taskRole.arn,
        containerDefinitions,
        tags,
      },
      { parent: this },
    );

    const albSg = new aws.ec2.SecurityGroup(
      `${name}-alb-sg`,
      { vpcId, description: "drox-backup ALB: listener ports from anywhere", tags },
      { parent: this },
    );
    const taskSg = new aws.ec2.SecurityGroup(
      `${name}-task-sg`,
      { vpcId, description: "drox-backup tasks: the service port from the ALB only", tags },
      { parent: this },
    );
    const listenerPorts = args.certificateArn !== undefined ? [443, 80] : [80];
    for (const port of listenerPorts) {
      for (const [family4or6, cidr] of [
        ["ipv4", { cidrIpv4: "0.0.0.0/0" }],
        ["ipv6", { cidrIpv6: "::/0" }],
      ] as const) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-alb-in-${port}-${family4or6}`,
          { securityGroupId: albSg.id, ipProtocol: "tcp", fromPort: port, toPort: port, ...cidr, tags },
          { parent: this },
        );
      }
    }
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-out-tasks`,
      {
        securityGroupId: albSg.id,
        ipProtocol: "tcp",
        fromPort: CONTAINER_PORT,
        toPort: CONTAINER_PORT,
        referencedSecurityGroupId: taskSg.id,
        tags,
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-task-in-alb`,
      {
        securityGroupId: taskSg.id,
        ipProtocol: "tcp",
        fromPort: CONTAINER_PORT,
        toPort: CONTAINER_PORT,
        referencedSecurityGroupId: albSg.id,
        tags,
      },
      { parent: this },
    );
    // Tasks call AWS APIs, Slack and Notion over HTTPS.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-task-out-https`,
      {
        securityGroupId: taskSg.id,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4: "0.0.0.0/0",
        tags,
      },
      { parent: this },
    );

    const alb = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        securityGroups: [albSg.id],
        subnets: publicSubnetIds,
        dropInvalidHeaderFields: true,
        tags,
      },
      { parent: this },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId,
        port: CONTAINER_PORT,
        protocol: "HTTP",
        targetType: "ip",
        // Draining (in-flight requests) runs before ECS sends SIGTERM; give it the same bound.
        deregistrationDelay: stopTimeout,
        healthCheck: {
          path: HEALTH_CHECK_PATH,
          matcher: "200",
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
        tags,
      },
      { parent: this },
    );
    const listeners: aws.lb.Listener[] = [];
    if (args.certificateArn !== undefined) {
      listeners.push(
        new aws.lb.Listener(
          `${name}-https`,
          {
            loadBalancerArn: alb.arn,
            port: 443,
            protocol: "HTTPS",
            sslPolicy: SSL_POLICY,
            certificateArn: args.certificateArn,
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags,
          },
          { parent: this },
        ),
        new aws.lb.Listener(
          `${name}-http`,
          {
            loadBalancerArn: alb.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [
              { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
            ],
            tags,
          },
          { parent: this },
        ),
      );
    } else {
      pulumi.log.warn(
        "allowHttp is set and no certificateArn: the service API (bearer tokens included) is served over plain HTTP. " +
          "Set certificateArn to an ACM certificate for HTTPS.",
        this,
      );
      listeners.push(
        new aws.lb.Listener(
          `${name}-http`,
          {
            loadBalancerArn: alb.arn,
            port: 80,
            protocol: "HTTP",
            defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
            tags,
          },
          { parent: this },
        ),
      );
    }

    new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: cluster.arn,
        taskDefinition: taskDefinition.arn,
        desiredCount,
        launchType: "FARGATE",
        networkConfiguration: { subnets: taskSubnetIds, securityGroups: [taskSg.id], assignPublicIp },
        loadBalancers: [
          { targetGroupArn: targetGroup.arn, containerName: CONTAINER_NAME, containerPort: CONTAINER_PORT },
        ],
        healthCheckGracePeriodSeconds: 60,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: "SERVICE",
        tags,
      },
      { parent: this, dependsOn: listeners },
    );

    const scheme = args.certificateArn !== undefined ? "https" : "http";
    this.url = pulumi.interpolate`${scheme}://${alb.dnsName}`;
    this.clusterArn = cluster.arn;
    this.taskDefinitionArn = taskDefinition.arn;
    this.family = family;
    this.taskRoleArn = taskRole.arn;
    this.executionRoleArn = executionRole.arn;
    this.taskSubnetIds = taskSubnetIds;
    this.taskSecurityGroupId = taskSg.id;
    this.assignPublicIp = assignPublicIp;
    this.logGroupName = logGroup.name;
    this.loadBalancerArnSuffix = alb.arnSuffix;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.registerOutputs({
      url: this.url,
      clusterArn: this.clusterArn,
      taskDefinitionArn: this.taskDefinitionArn,
    });
  }
}

/** Where the task runs, for ARNs and KMS conditions. */
export interface TaskLocation {
  readonly accountId: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
}

/**
 * The jobs' permissions: snapshots (deleting only those the jobs tagged as theirs), the backup and
 * source buckets, events, history, the stack key, and — with a DR region — the KMS use that copying
 * encrypted snapshots across regions needs. Each action answers an AWS SDK call of the code the
 * task runs; test/infra-task-permissions.spec.ts scans runtime/ for those calls and fails on any
 * call not granted here, and on any action granted here that no call needs.
 */
export function taskStatements(p: ServiceArgs["permissions"], where: TaskLocation): Statement[] {
  const sources = p.sourceBuckets ?? [];
  const managed = "true";
  const statements: Statement[] = [
    {
      Sid: "EbsSnapshots",
      Action: ["ec2:CreateSnapshot", "ec2:CopySnapshot", "ec2:DescribeSnapshots", "ec2:DescribeVolumes"],
      Resource: "*",
    },
    {
      Sid: "TagNewSnapshots",
      Action: "ec2:CreateTags",
      Resource: "*",
      Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CopySnapshot"] } },
    },
    {
      // Retention deletes only snapshots the jobs created: never one made by a person or another tool.
      Sid: "DeleteOwnEbsSnapshots",
      Action: "ec2:DeleteSnapshot",
      Resource: "arn:aws:ec2:*::snapshot/*",
      Condition: { StringEquals: { [`aws:ResourceTag/${MANAGED_TAG}`]: managed } },
    },
    {
      Sid: "RdsSnapshots",
      Action: [
        "rds:AddTagsToResource",
        "rds:CopyDBSnapshot",
        "rds:CreateDBSnapshot",
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
      ],
      Resource: "*",
    },
    {
      // RDS's own key for a DB snapshot's tags (the snapshot resource type declares it).
      Sid: "DeleteOwnRdsSnapshots",
      Action: "rds:DeleteDBSnapshot",
      Resource: pulumi.interpolate`arn:aws:rds:*:${where.accountId}:snapshot:*`,
      Condition: { StringEquals: { [`rds:snapshot-tag/${MANAGED_TAG}`]: managed } },
    },
    {
      // Listing and HeadBucket for the sync; the integrity check reads versioning, default
      // encryption and the public access block (GetBucketEncryption is s3:GetEncryptionConfiguration).
      Sid: "BackupBucketList",
      Action: [
        "s3:ListBucket",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
      ],
      Resource: p.backupBucketArn,
    },
    {
      // CopyObject and the multipart copy write here (UploadPartCopy and CompleteMultipartUpload are
      // s3:PutObject); a failed multipart copy is aborted so its parts are not billed.
      Sid: "BackupBucketObjects",
      Action: [
        "s3:GetObject",
        "s3:PutObject",
        "s3:GetObjectTagging",
        "s3:PutObjectTagging",
        "s3:AbortMultipartUpload",
      ],
      Resource: pulumi.interpolate`${p.backupBucketArn}/*`,
    },
    { Sid: "PublishEvents", Action: "sns:Publish", Resource: p.eventsTopicArn },
    {
      Sid: "History",
      Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
      Resource: [p.historyTableArn, pulumi.interpolate`${p.historyTableArn}/index/*`],
    },
    { Sid: "UseStackKey", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: p.kmsKeyArn },
  ];
  if (p.drRegion !== undefined) {
    // A cross-region copy of an encrypted snapshot decrypts with the source's key (this region) and
    // re-encrypts with a key of the DR region, through EC2 or RDS: which keys is only known at run
    // time (each volume's, DR_KMS_KEY_ID or the AWS-managed default), so the account's keys in the
    // two regions are allowed, and only when EC2 or RDS uses them on the task's behalf.
    const regions = [where.region, p.drRegion];
    const keys = regions.map((region) => pulumi.interpolate`arn:aws:kms:${region}:${where.accountId}:key/*`);
    const viaService = regions.flatMap((region) => [
      pulumi.interpolate`ec2.${region}.amazonaws.com`,
      pulumi.interpolate`rds.${region}.amazonaws.com`,
    ]);
    statements.push(
      {
        Sid: "CrossRegionCopyKeys",
        Action: ["kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: keys,
        Condition: { StringEquals: { "kms:ViaService": viaService } },
      },
      {
        Sid: "CrossRegionCopyGrants",
        Action: "kms:CreateGrant",
        Resource: keys,
        Condition: {
          StringEquals: { "kms:ViaService": viaService },
          Bool: { "kms:GrantIsForAWSResource": "true" },
        },
      },
    );
  }
  if (p.tagDiscovery) {
    // S3 sources are found with ListBuckets and each bucket's GetBucketTagging; EBS volumes and
    // RDS instances come from their Describe calls with tags (granted above).
    statements.push({
      Sid: "FindTaggedTargets",
      Action: ["s3:ListAllMyBuckets", "s3:GetBucketTagging"],
      Resource: "*",
    });
  }
  // Trade-off: tag-selected S3 sources are only known at run time, so with a backup tag the task
  // may list and read every bucket of the account (`arn:aws:s3:::*`, read-only). A condition on
  // the bucket's tag cannot narrow it today: aws:ResourceTag is evaluated for general purpose
  // buckets only once S3 ABAC is enabled on each bucket (off by default; it also moves tagging to
  // TagResource), and s3:ExistingObjectTag tests object tags, not the bucket's. A condition would
  // silently deny every source bucket without ABAC. For a narrow policy, list the buckets in
  // s3SourceBuckets and leave backupTag unset.
  const sourceArns = p.tagDiscovery ? ["arn:aws:s3:::*"] : sources.map((bucket) => `arn:aws:s3:::${bucket}`);
  if (sourceArns.length > 0) {
    statements.push(
      // ListObjectsV2 and HeadBucket.
      { Sid: "SourceBucketsList", Action: "s3:ListBucket", Resource: sourceArns },
      {
        // HeadObject, CopyObject's and UploadPartCopy's source read, and its tags (CopyObject
        // copies tags by default; the multipart copy reads them with GetObjectTagging).
        Sid: "SourceBucketsRead",
        Action: ["s3:GetObject", "s3:GetObjectTagging"],
        Resource: sourceArns.map((arn) => `${arn}/*`),
      },
    );
  }
  return statements;
}
