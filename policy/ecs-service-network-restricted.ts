import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofType, refersTo, valueNames } from "./lib/references";
import { booleanOr, isRecord, unproxy } from "./lib/values";

interface EcsServiceNetworkRestrictedConfig {
  allowPublicIp?: boolean;
  allowedPublicPorts?: number[];
}

const WORLD = ["0.0.0.0/0", "::/0"];
const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];

type Props = Record<string, unknown>;
const props = (r: PolicyResource): Props => unproxy(r.props) as Props;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

interface OpenRule {
  protocol: string;
  fromPort: number;
  toPort: number;
}

/** Ingress open to the world on a security group, wherever it is declared. */
function worldOpenIngress(sg: PolicyResource, resources: PolicyResource[]): OpenRule[] {
  const rules: OpenRule[] = [];
  const add = (protocol: unknown, fromPort: unknown, toPort: unknown): void => {
    rules.push({
      protocol: String(protocol ?? "-1"),
      fromPort: typeof fromPort === "number" ? fromPort : 0,
      toPort: typeof toPort === "number" ? toPort : 65535,
    });
  };
  for (const rule of list(props(sg).ingress)) {
    if (
      isRecord(rule) &&
      [...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)].some((c) => WORLD.includes(String(c)))
    ) {
      add(rule.protocol, rule.fromPort, rule.toPort);
    }
  }
  for (const rule of ofType(resources, "aws:ec2/securityGroupRule:SecurityGroupRule")) {
    const r = props(rule);
    const open = [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)].some((c) => WORLD.includes(String(c)));
    if (r.type === "ingress" && open && refersTo(rule, "securityGroupId", sg)) {
      add(r.protocol, r.fromPort, r.toPort);
    }
  }
  for (const rule of ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
    const r = props(rule);
    if (
      (WORLD.includes(String(r.cidrIpv4)) || WORLD.includes(String(r.cidrIpv6))) &&
      refersTo(rule, "securityGroupId", sg)
    ) {
      add(r.ipProtocol, r.fromPort, r.toPort);
    }
  }
  return rules;
}

function listenerPorts(resources: PolicyResource[]): number[] {
  return ofType(resources, ...LISTENER_TYPES).map((listener) => {
    const l = props(listener);
    return typeof l.port === "number" ? l.port : l.protocol === "HTTPS" ? 443 : 80;
  });
}

function allowed(rule: OpenRule, ports: Set<number>): boolean {
  if (rule.protocol !== "tcp" && rule.protocol !== "6") {
    return false;
  }
  for (let port = rule.fromPort; port <= rule.toPort; port++) {
    if (!ports.has(port)) {
      return false;
    }
  }
  return true;
}

export const ecsServiceNetworkRestricted: StackValidationPolicy = {
  name: "ecs-service-network-restricted",
  description:
    "ECS tasks get no public IP unless the stack's policy config allows it, and an ECS service's security groups " +
    "open nothing to the world (0.0.0.0/0, ::/0) but the load balancer listeners' ports.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowPublicIp: {
        type: "boolean",
        description:
          "Allow assignPublicIp (e.g. a dev stack in the default VPC, which has no NAT gateway to pull images).",
        default: false,
      },
      allowedPublicPorts: {
        type: "array",
        items: { type: "integer" },
        description: "Ports that may be open to the world besides the listeners' ports.",
        default: [],
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = args.getConfig<EcsServiceNetworkRestrictedConfig>();
    const allowPublicIp = booleanOr(config.allowPublicIp, false);
    const publicPorts = new Set([
      ...listenerPorts(args.resources),
      ...(Array.isArray(config.allowedPublicPorts) ? config.allowedPublicPorts : []),
    ]);
    const securityGroups = ofType(args.resources, "aws:ec2/securityGroup:SecurityGroup");
    const publicIpFix =
      "Set assignPublicIp: false and run the tasks in private subnets with a NAT gateway or VPC endpoints " +
      '(or allow it for this stack: { "ecs-service-network-restricted": { "allowPublicIp": true } } in its policy config).';

    for (const service of ofType(args.resources, "aws:ecs/service:Service")) {
      const network = props(service).networkConfiguration;
      if (!isRecord(network)) {
        continue;
      }
      if (!allowPublicIp && network.assignPublicIp === true) {
        reportViolation(
          `ECS service "${service.name}" gives its tasks a public IP. ${publicIpFix}`,
          service.urn,
        );
      }
      const groupIds = list(network.securityGroups);
      const groups = securityGroups.filter(
        (sg) =>
          groupIds.some((id) => valueNames(id, sg)) ||
          (service.propertyDependencies.networkConfiguration ?? []).some((dep) => dep.urn === sg.urn),
      );
      for (const sg of groups) {
        for (const rule of worldOpenIngress(sg, args.resources).filter((r) => !allowed(r, publicPorts))) {
          const ports =
            rule.protocol === "-1" ? "all traffic" : `${rule.protocol} ${rule.fromPort}-${rule.toPort}`;
          reportViolation(
            `Security group "${sg.name}" of ECS service "${service.name}" opens ${ports} to the world. ` +
              "Allow ingress only from the load balancer's security group (sourceSecurityGroupId / " +
              `referencedSecurityGroupId) on the container port; listener ports open to all: ${[...publicPorts].join(", ") || "none"}.`,
            sg.urn,
          );
        }
      }
    }
    for (const schedule of ofType(args.resources, "aws:scheduler/schedule:Schedule")) {
      const target = props(schedule).target;
      const ecs = isRecord(target) ? target.ecsParameters : undefined;
      const network = isRecord(ecs) ? ecs.networkConfiguration : undefined;
      if (!allowPublicIp && isRecord(network) && network.assignPublicIp === true) {
        reportViolation(
          `Schedule "${schedule.name}" runs ECS tasks with a public IP. ${publicIpFix}`,
          schedule.urn,
        );
      }
    }
  },
};
