import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { admitsTheWorld } from "./lib/cidr";
import { ofType, refersTo, valueNames } from "./lib/references";
import { booleanOr, isRecord, unproxy } from "./lib/values";

interface EcsServiceNetworkRestrictedConfig {
  allowPublicIp?: boolean;
  allowedPublicPorts?: number[];
}

const LISTENER_TYPES = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];

type Props = Record<string, unknown>;
const props = (r: PolicyResource): Props => unproxy(r.props) as Props;
// The lists read here hold address ranges, which a filler string is not, and security group ids,
// which no group has as its id, so a filler reads as no list at all.
// Stryker disable next-line ArrayDeclaration: see above (equivalent)
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

interface OpenRule {
  /** Lower-case name; "all" for -1 / all, "tcp" for 6. */
  protocol: string;
  fromPort: number;
  toPort: number;
}

/**
 * Ports people reach servers' shells and databases on (IANA registry); named in the message when a
 * world-open range includes them, since those are the ranges scanned first.
 */
const ADMIN_PORTS: Record<number, string> = {
  22: "SSH",
  1433: "SQL Server",
  1521: "Oracle",
  3306: "MySQL",
  3389: "RDP",
  5432: "PostgreSQL",
  6379: "Redis",
  27017: "MongoDB",
};

/** EC2 takes -1 (or `all` in the provider) for every protocol and protocol numbers for names. */
function protocolName(protocol: unknown): string {
  const name = String(protocol ?? "-1")
    .trim()
    .toLowerCase();
  return name === "-1" || name === "all" ? "all" : name === "6" ? "tcp" : name === "17" ? "udp" : name;
}

/** Ingress open to the world on a security group, wherever it is declared. */
function worldOpenIngress(sg: PolicyResource, resources: PolicyResource[]): OpenRule[] {
  const rules: OpenRule[] = [];
  const add = (protocol: unknown, fromPort: unknown, toPort: unknown): void => {
    rules.push({
      protocol: protocolName(protocol),
      fromPort: typeof fromPort === "number" ? fromPort : 0,
      toPort: typeof toPort === "number" ? toPort : 65535,
    });
  };
  for (const rule of list(props(sg).ingress)) {
    if (isRecord(rule) && admitsTheWorld([...list(rule.cidrBlocks), ...list(rule.ipv6CidrBlocks)])) {
      add(rule.protocol, rule.fromPort, rule.toPort);
    }
  }
  for (const rule of ofType(resources, "aws:ec2/securityGroupRule:SecurityGroupRule")) {
    const r = props(rule);
    const open = admitsTheWorld([...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)]);
    if (r.type === "ingress" && open && refersTo(rule, "securityGroupId", sg)) {
      add(r.protocol, r.fromPort, r.toPort);
    }
  }
  for (const rule of ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
    const r = props(rule);
    if (
      (admitsTheWorld([r.cidrIpv4]) || admitsTheWorld([r.cidrIpv6])) &&
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
  // A reversed range is rejected by EC2; read as empty it would pass here, so it never does.
  if (rule.protocol !== "tcp" || rule.fromPort > rule.toPort) {
    return false;
  }
  for (let port = rule.fromPort; port <= rule.toPort; port++) {
    if (!ports.has(port)) {
      return false;
    }
  }
  return true;
}

function describe(rule: OpenRule): string {
  if (rule.protocol === "all") {
    return "all traffic";
  }
  const admin = Object.entries(ADMIN_PORTS)
    .filter(([port]) => Number(port) >= rule.fromPort && Number(port) <= rule.toPort)
    .map(([port, name]) => `${port} ${name}`);
  const range = `${rule.protocol} ${rule.fromPort}-${rule.toPort}`;
  // For ICMP the "ports" are message types and codes.
  const ported = rule.protocol === "tcp" || rule.protocol === "udp";
  return ported && admin.length > 0 ? `${range} (including ${admin.join(", ")})` : range;
}

export const ecsServiceNetworkRestricted: StackValidationPolicy = {
  name: "ecs-service-network-restricted",
  description:
    "ECS tasks get no public IP unless the stack's policy config allows it, and an ECS service's security groups " +
    "open nothing to the world (0.0.0.0/0, ::/0, in any spelling or split) but the load balancer listeners' TCP ports.",
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
          service.propertyDependencies.networkConfiguration?.some((dep) => dep.urn === sg.urn) === true,
      );
      for (const sg of groups) {
        for (const rule of worldOpenIngress(sg, args.resources).filter((r) => !allowed(r, publicPorts))) {
          reportViolation(
            `Security group "${sg.name}" of ECS service "${service.name}" opens ${describe(rule)} to the world. ` +
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
