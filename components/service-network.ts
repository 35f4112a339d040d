/**
 * Where the HTTP service runs and how requests reach it: the network (a new awsx VPC, or the
 * account's default VPC), the ALB's and the tasks' security groups with one rule resource per
 * opening, the ALB, its target group and its listeners — HTTPS when a certificate is given (HTTP
 * then only redirects), plain HTTP only on explicit opt-in.
 *
 * Children belong to the Service component (`parent`), named `${name}-<role>`.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

export const HEALTH_CHECK_PATH = "/health";
/** TLS 1.3 with TLS 1.2 fallback, AWS's recommended ALB policy. */
export const SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface NetworkArgs {
  /** Use the account's default VPC (public subnets only). */
  readonly useDefaultVpc: boolean;
  /** Tasks get public IPs (public subnets, no NAT gateway). */
  readonly assignPublicIp: boolean;
  /** Tags for every resource. */
  readonly tags: Record<string, string>;
}

export interface Network {
  readonly vpcId: pulumi.Output<string>;
  /** The ALB's subnets. */
  readonly publicSubnetIds: pulumi.Output<string[]>;
  /** The tasks' subnets. */
  readonly taskSubnetIds: pulumi.Output<string[]>;
}

/**
 * A new VPC (tasks in private subnets behind one NAT, or public subnets without NAT when tasks get
 * public IPs) or the default VPC (public subnets only).
 */
export function network(name: string, args: NetworkArgs, parent: pulumi.Resource): Network {
  if (args.useDefaultVpc) {
    const vpc = new awsx.ec2.DefaultVpc(`${name}-vpc`, {}, { parent });
    return { vpcId: vpc.vpcId, publicSubnetIds: vpc.publicSubnetIds, taskSubnetIds: vpc.publicSubnetIds };
  }
  const vpc = new awsx.ec2.Vpc(
    `${name}-vpc`,
    {
      numberOfAvailabilityZones: 2,
      natGateways: { strategy: args.assignPublicIp ? "None" : "Single" },
      tags: args.tags,
    },
    { parent },
  );
  return {
    vpcId: vpc.vpcId,
    publicSubnetIds: vpc.publicSubnetIds,
    taskSubnetIds: args.assignPublicIp ? vpc.publicSubnetIds : vpc.privateSubnetIds,
  };
}

export interface LoadBalancerArgs {
  readonly vpcId: pulumi.Input<string>;
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The container port the ALB forwards to and the tasks' security group opens. */
  readonly containerPort: number;
  /** ACM certificate for the HTTPS listener; unset means plain HTTP (the Service checks the opt-in). */
  readonly certificateArn?: pulumi.Input<string>;
  /** Seconds the target group drains a task before ECS stops it. */
  readonly deregistrationDelay: number;
  /** Tags for every resource. */
  readonly tags: Record<string, string>;
}

export interface LoadBalancer {
  readonly alb: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  /** The ECS service depends on these (the target group must be attached to a listener). */
  readonly listeners: aws.lb.Listener[];
  /** Security group of the tasks: the container port from the ALB only, HTTPS out. */
  readonly taskSecurityGroup: aws.ec2.SecurityGroup;
  /** `https` with a certificate, else `http`. */
  readonly scheme: "https" | "http";
}

export function loadBalancer(name: string, args: LoadBalancerArgs, parent: pulumi.Resource): LoadBalancer {
  const { tags, vpcId, containerPort } = args;
  const albSg = new aws.ec2.SecurityGroup(
    `${name}-alb-sg`,
    { vpcId, description: "drox-backup ALB: listener ports from anywhere", tags },
    { parent },
  );
  const taskSg = new aws.ec2.SecurityGroup(
    `${name}-task-sg`,
    { vpcId, description: "drox-backup tasks: the service port from the ALB only", tags },
    { parent },
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
        { parent },
      );
    }
  }
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-alb-out-tasks`,
    {
      securityGroupId: albSg.id,
      ipProtocol: "tcp",
      fromPort: containerPort,
      toPort: containerPort,
      referencedSecurityGroupId: taskSg.id,
      tags,
    },
    { parent },
  );
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-task-in-alb`,
    {
      securityGroupId: taskSg.id,
      ipProtocol: "tcp",
      fromPort: containerPort,
      toPort: containerPort,
      referencedSecurityGroupId: albSg.id,
      tags,
    },
    { parent },
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
    { parent },
  );

  const alb = new aws.lb.LoadBalancer(
    `${name}-alb`,
    {
      loadBalancerType: "application",
      internal: false,
      securityGroups: [albSg.id],
      subnets: args.publicSubnetIds,
      dropInvalidHeaderFields: true,
      tags,
    },
    { parent },
  );
  const targetGroup = new aws.lb.TargetGroup(
    `${name}-tg`,
    {
      vpcId,
      port: containerPort,
      protocol: "HTTP",
      targetType: "ip",
      // Draining (in-flight requests) runs before ECS sends SIGTERM; give it the same bound.
      deregistrationDelay: args.deregistrationDelay,
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
    { parent },
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
        { parent },
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
        { parent },
      ),
    );
  } else {
    pulumi.log.warn(
      "allowHttp is set and no certificateArn: the service API (bearer tokens included) is served over plain HTTP. " +
        "Set certificateArn to an ACM certificate for HTTPS.",
      parent,
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
        { parent },
      ),
    );
  }
  return {
    alb,
    targetGroup,
    listeners,
    taskSecurityGroup: taskSg,
    scheme: args.certificateArn !== undefined ? "https" : "http",
  };
}
