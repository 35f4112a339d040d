/**
 * The HTTP service on ECS Fargate behind an ALB, and the task definition the scheduled jobs reuse.
 * This file holds the component (its arguments, their checks, the cluster and the ECS service);
 * its seams are files of their own:
 * - service-network.ts: the VPC (awsx, or the default VPC), security groups, ALB, target group
 *   and listeners;
 * - task-definition.ts: the image, the container log group, the execution and task roles and the
 *   Fargate task definition;
 * - task-permissions.ts: the task role's policy.
 * Everything that carries behaviour or security is declared with @pulumi/aws, so tests and
 * policies can see it; awsx serves for the VPC and the image build.
 *
 * HTTPS when a certificate is given (HTTP then only redirects); plain HTTP only on explicit opt-in.
 * Secrets reach the container through ECS `secrets` (Secrets Manager ARNs), never `environment`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { stackScoped } from "./naming";
import { loadBalancer, network } from "./service-network";
import { CONTAINER_NAME, CONTAINER_PORT, taskDefinition } from "./task-definition";
import type { TaskPermissions } from "./task-permissions";

export { CONTAINER_NAME, CONTAINER_PORT } from "./task-definition";
export { HEALTH_CHECK_PATH, SSL_POLICY } from "./service-network";
export { taskStatements, type TaskLocation, type TaskPermissions } from "./task-permissions";

/** The ALB is the one proxy in front of the service: the client is the last X-Forwarded-For entry. */
export const TRUST_PROXY_HOPS = 1;
/** Seconds between the service's shutdown grace and SIGKILL, to close connections and flush logs. */
export const STOP_TIMEOUT_MARGIN_SECONDS = 10;
/** ECS's upper bound for a container's stopTimeout on Fargate. */
export const MAX_STOP_TIMEOUT_SECONDS = 120;
/** Variables the component sets itself (it owns the port, the ALB and the stop timeout). */
export const SERVICE_OWNED_ENV = ["PORT", "TRUST_PROXY_HOPS", "SHUTDOWN_GRACE_SECONDS"] as const;

export interface ServiceArgs {
  /** AWS account id, for trust policies. */
  readonly accountId: pulumi.Input<string>;
  /** Region, for the container's log configuration. */
  readonly region: pulumi.Input<string>;
  /** Task definition family (unique per account and region). @default `<name>-<stack>` */
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
  readonly permissions: TaskPermissions;
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
    const family = args.family ?? stackScoped(name);
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

    const net = network(name, { useDefaultVpc, assignPublicIp, tags }, this);
    const task = taskDefinition(
      name,
      {
        accountId: args.accountId,
        region: args.region,
        family,
        buildContext: args.buildContext ?? ".",
        environment: {
          ...(args.environment ?? {}),
          PORT: String(CONTAINER_PORT),
          TRUST_PROXY_HOPS: String(TRUST_PROXY_HOPS),
          SHUTDOWN_GRACE_SECONDS: String(shutdownGraceSeconds),
        },
        secrets: args.secrets ?? {},
        stopTimeout,
        permissions: args.permissions,
        cpu,
        memory,
        logRetentionDays,
        tags,
      },
      this,
    );
    const cluster = new aws.ecs.Cluster(
      `${name}-cluster`,
      { settings: [{ name: "containerInsights", value: "enabled" }], tags },
      { parent: this },
    );
    const lb = loadBalancer(
      name,
      {
        vpcId: net.vpcId,
        publicSubnetIds: net.publicSubnetIds,
        containerPort: CONTAINER_PORT,
        ...(args.certificateArn !== undefined ? { certificateArn: args.certificateArn } : {}),
        deregistrationDelay: stopTimeout,
        tags,
      },
      this,
    );

    new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: cluster.arn,
        taskDefinition: task.taskDefinition.arn,
        desiredCount,
        launchType: "FARGATE",
        networkConfiguration: {
          subnets: net.taskSubnetIds,
          securityGroups: [lb.taskSecurityGroup.id],
          assignPublicIp,
        },
        loadBalancers: [
          {
            targetGroupArn: lb.targetGroup.arn,
            containerName: CONTAINER_NAME,
            containerPort: CONTAINER_PORT,
          },
        ],
        healthCheckGracePeriodSeconds: 60,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        propagateTags: "SERVICE",
        tags,
      },
      { parent: this, dependsOn: lb.listeners },
    );

    this.url = pulumi.interpolate`${lb.scheme}://${lb.alb.dnsName}`;
    this.clusterArn = cluster.arn;
    this.taskDefinitionArn = task.taskDefinition.arn;
    this.family = family;
    this.taskRoleArn = task.taskRole.arn;
    this.executionRoleArn = task.executionRole.arn;
    this.taskSubnetIds = net.taskSubnetIds;
    this.taskSecurityGroupId = lb.taskSecurityGroup.id;
    this.assignPublicIp = assignPublicIp;
    this.logGroupName = task.logGroup.name;
    this.loadBalancerArnSuffix = lb.alb.arnSuffix;
    this.targetGroupArnSuffix = lb.targetGroup.arnSuffix;
    this.registerOutputs({
      url: this.url,
      clusterArn: this.clusterArn,
      taskDefinitionArn: this.taskDefinitionArn,
    });
  }
}
