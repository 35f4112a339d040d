import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { ecsServiceNetworkRestricted } from "../policy/ecs-service-network-restricted";
import { Fixture, fixture, runStackPolicy, UNKNOWN_STRING } from "./support/policy-harness";

const listener = fixture(aws.lb.Listener, "https", {
  loadBalancerArn: "arn:alb",
  protocol: "HTTPS",
  port: 443,
  defaultActions: [],
});
const taskSg = fixture(aws.ec2.SecurityGroup, "task-sg", { vpcId: "vpc-1" }, { outputs: { id: "sg-task" } });
const fromAlb = fixture(aws.vpc.SecurityGroupIngressRule, "task-in-alb", {
  securityGroupId: "sg-task",
  ipProtocol: "tcp",
  fromPort: 8080,
  toPort: 8080,
  referencedSecurityGroupId: "sg-alb",
});
const service = fixture(aws.ecs.Service, "service", {
  cluster: "arn:cluster",
  networkConfiguration: { subnets: ["subnet-private-a"], securityGroups: ["sg-task"], assignPublicIp: false },
  loadBalancers: [{ containerName: "api", containerPort: 8080, targetGroupArn: "arn:tg" }],
});
const compliant = [listener, taskSg, fromAlb, service];

async function messages(resources: Fixture[], config = {}): Promise<string[]> {
  return (await runStackPolicy(ecsServiceNetworkRestricted, resources, config)).violations.map(
    (v) => v.message,
  );
}

function withService(network: Record<string, unknown>): Fixture[] {
  const changed = fixture(aws.ecs.Service, "service", {
    cluster: "arn:cluster",
    networkConfiguration: { subnets: ["subnet-public-a"], securityGroups: ["sg-task"], ...network },
  });
  return [listener, taskSg, fromAlb, changed];
}

describe("policy ecs-service-network-restricted", () => {
  it("must pass a private service whose security group admits only the load balancer", async () => {
    assert.deepEqual(await messages(compliant), []);
  });

  it("must report a public task IP unless the config allows it", async () => {
    const outcome = await runStackPolicy(ecsServiceNetworkRestricted, withService({ assignPublicIp: true }));
    assert.equal(outcome.violations.length, 1);
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
    assert.equal(outcome.violations[0]!.urn, service.urn);
    assert.match(
      outcome.violations[0]!.message,
      /^ECS service "service" gives its tasks a public IP\. Set assignPublicIp: false/,
    );
    assert.deepEqual(await messages(withService({ assignPublicIp: true }), { allowPublicIp: true }), []);
  });

  it("must report a scheduled ECS task with a public IP", async () => {
    const schedule = fixture(aws.scheduler.Schedule, "ebs", {
      scheduleExpression: "cron(0 2 * * ? *)",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: "arn:cluster",
        roleArn: "arn:role",
        ecsParameters: {
          taskDefinitionArn: "arn:task",
          networkConfiguration: { subnets: ["subnet-public-a"], assignPublicIp: true },
        },
      },
    });
    assert.deepEqual(
      (await messages([...compliant, schedule])).map((m) => m.split(".")[0]),
      ['Schedule "ebs" runs ECS tasks with a public IP'],
    );
  });

  it("must report the service's group opening the container port to the world, in each rule style", async () => {
    const rules = [
      fixture(aws.vpc.SecurityGroupIngressRule, "open-v4", {
        securityGroupId: "sg-task",
        ipProtocol: "tcp",
        fromPort: 8080,
        toPort: 8080,
        cidrIpv4: "0.0.0.0/0",
      }),
      fixture(aws.vpc.SecurityGroupIngressRule, "open-v6", {
        securityGroupId: "sg-task",
        ipProtocol: "tcp",
        fromPort: 8080,
        toPort: 8080,
        cidrIpv6: "::/0",
      }),
      fixture(aws.ec2.SecurityGroupRule, "open-rule", {
        type: "ingress",
        securityGroupId: "sg-task",
        protocol: "tcp",
        fromPort: 8080,
        toPort: 8080,
        cidrBlocks: ["0.0.0.0/0"],
      }),
    ];
    for (const rule of rules) {
      const [message, ...rest] = await messages([...compliant, rule]);
      assert.deepEqual(rest, [], rule.name);
      assert.match(
        message!,
        /^Security group "task-sg" of ECS service "service" opens tcp 8080-8080 to the world/,
      );
    }
    const inline = fixture(
      aws.ec2.SecurityGroup,
      "task-sg",
      {
        vpcId: "vpc-1",
        ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
      },
      { outputs: { id: "sg-task" } },
    );
    const [all] = await messages([listener, inline, service]);
    assert.match(all!, /opens all traffic to the world/);
  });

  it("must allow the listeners' ports and the configured ports to the world", async () => {
    const onListenerPort = fixture(aws.vpc.SecurityGroupIngressRule, "https-in", {
      securityGroupId: "sg-task",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
    assert.deepEqual(await messages([...compliant, onListenerPort]), []);
    const ssh = fixture(aws.vpc.SecurityGroupIngressRule, "ssh", {
      securityGroupId: "sg-task",
      ipProtocol: "tcp",
      fromPort: 22,
      toPort: 22,
      cidrIpv4: "0.0.0.0/0",
    });
    assert.equal((await messages([...compliant, ssh])).length, 1);
    assert.deepEqual(await messages([...compliant, ssh], { allowedPublicPorts: [22] }), []);
  });

  it("must ignore world-open rules of other groups (the load balancer's own)", async () => {
    const albSg = fixture(aws.ec2.SecurityGroup, "alb-sg", { vpcId: "vpc-1" }, { outputs: { id: "sg-alb" } });
    const albIn = fixture(aws.vpc.SecurityGroupIngressRule, "alb-in", {
      securityGroupId: "sg-alb",
      ipProtocol: "tcp",
      fromPort: 8443,
      toPort: 8443,
      cidrIpv4: "0.0.0.0/0",
    });
    assert.deepEqual(await messages([...compliant, albSg, albIn]), []);
  });

  describe("port ranges and world-open ranges", () => {
    /** The one message for a rule added to the compliant stack (exactly one must be reported). */
    async function reported(rule: Fixture, config = {}): Promise<string> {
      const found = await messages([...compliant, rule], config);
      assert.equal(found.length, 1, `${rule.name}: ${JSON.stringify(found)}`);
      return found[0]!;
    }
    const ingress = (name: string, props: Record<string, unknown>): Fixture =>
      fixture(aws.vpc.SecurityGroupIngressRule, name, {
        securityGroupId: "sg-task",
        ipProtocol: "tcp",
        ...props,
      });
    const sgRule = (name: string, props: Record<string, unknown>): Fixture =>
      fixture(aws.ec2.SecurityGroupRule, name, {
        type: "ingress",
        securityGroupId: "sg-task",
        protocol: "tcp",
        fromPort: 0,
        toPort: 0,
        ...props,
      });
    const opens = (what: string) =>
      new RegExp(
        `^Security group "task-sg" of ECS service "service" opens ${what.replace(/[()]/g, "\\$&")} to the world\\. `,
      );

    it("must report every port open to the world, naming the admin and database ports in the range", async () => {
      assert.match(
        await reported(ingress("all-ports", { fromPort: 0, toPort: 65535, cidrIpv4: "0.0.0.0/0" })),
        opens(
          "tcp 0-65535 (including 22 SSH, 1433 SQL Server, 1521 Oracle, 3306 MySQL, 3389 RDP, 5432 PostgreSQL, 6379 Redis, 27017 MongoDB)",
        ),
      );
      assert.match(
        await reported(sgRule("around-ssh", { fromPort: 20, toPort: 25, cidrBlocks: ["0.0.0.0/0"] })),
        opens("tcp 20-25 (including 22 SSH)"),
      );
      assert.match(
        await reported(ingress("rdp", { fromPort: 3389, toPort: 3389, cidrIpv6: "::/0" })),
        opens("tcp 3389-3389 (including 3389 RDP)"),
      );
      assert.match(
        await reported(ingress("postgres", { fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0" })),
        opens("tcp 5432-5432 (including 5432 PostgreSQL)"),
      );
      assert.match(
        await reported(ingress("db-range", { fromPort: 3300, toPort: 3310, cidrIpv4: "0.0.0.0/0" })),
        opens("tcp 3300-3310 (including 3306 MySQL)"),
      );
      assert.match(
        await reported(
          ingress("udp-db", { ipProtocol: "udp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0" }),
        ),
        opens("udp 5432-5432 (including 5432 PostgreSQL)"),
      );
      assert.match(
        await reported(
          ingress("icmp", { ipProtocol: "icmp", fromPort: 3, toPort: 30, cidrIpv4: "0.0.0.0/0" }),
        ),
        opens("icmp 3-30"),
      );
    });

    it("must report all protocols (-1, all) in every rule style", async () => {
      const allTraffic = [
        ingress("v-1", { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }),
        ingress("v-1-v6", { ipProtocol: "-1", cidrIpv6: "::/0" }),
        sgRule("r-1", { protocol: "-1", cidrBlocks: ["0.0.0.0/0"] }),
        sgRule("r-all", { protocol: "all", ipv6CidrBlocks: ["::/0"] }),
        sgRule("r-all-caps", { protocol: "ALL", cidrBlocks: ["0.0.0.0/0"] }),
      ];
      for (const rule of allTraffic) {
        assert.match(await reported(rule), opens("all traffic"), rule.name);
      }
      const inline = fixture(
        aws.ec2.SecurityGroup,
        "task-sg",
        { vpcId: "vpc-1", ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"] }] },
        { outputs: { id: "sg-task" } },
      );
      assert.deepEqual(
        (await messages([listener, inline, service])).map((m) => m.split(" to the world")[0]),
        ['Security group "task-sg" of ECS service "service" opens all traffic'],
      );
    });

    it("must see the world in any spelling, inside a list of ranges, or split into halves", async () => {
      const worlds: Fixture[] = [
        sgRule("among-others", { fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/8", "0.0.0.0/0"] }),
        sgRule("v6-among-others", { fromPort: 22, toPort: 22, ipv6CidrBlocks: ["fd00::/8", "::/0"] }),
        ingress("v6-zero", { fromPort: 22, toPort: 22, cidrIpv6: "::0/0" }),
        ingress("v6-long", { fromPort: 22, toPort: 22, cidrIpv6: "0:0:0:0:0:0:0:0/0" }),
        ingress("host-bits", { fromPort: 22, toPort: 22, cidrIpv4: "10.1.2.3/0" }),
        sgRule("halves", { fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] }),
        sgRule("quarters", {
          fromPort: 22,
          toPort: 22,
          cidrBlocks: ["192.0.0.0/2", "0.0.0.0/2", "128.0.0.0/2", "64.0.0.0/2"],
        }),
        sgRule("v6-halves", { fromPort: 22, toPort: 22, ipv6CidrBlocks: ["::/1", "8000::/1"] }),
      ];
      for (const rule of worlds) {
        assert.match(await reported(rule), opens("tcp 22-22 (including 22 SSH)"), rule.name);
      }
      const inline = fixture(
        aws.ec2.SecurityGroup,
        "task-sg",
        {
          vpcId: "vpc-1",
          ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] }],
        },
        { outputs: { id: "sg-task" } },
      );
      assert.equal((await messages([listener, inline, service])).length, 1);
    });

    it("must not call a range with a gap, or a private one, the world", async () => {
      const notWorld: Fixture[] = [
        sgRule("half", { fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/1"] }),
        sgRule("gap", { fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/2", "128.0.0.0/1"] }),
        sgRule("mixed-families", {
          fromPort: 22,
          toPort: 22,
          cidrBlocks: ["0.0.0.0/1"],
          ipv6CidrBlocks: ["8000::/1"],
        }),
        ingress("vpc", { fromPort: 0, toPort: 65535, cidrIpv4: "10.0.0.0/8" }),
        ingress("ula", { fromPort: 0, toPort: 65535, cidrIpv6: "fd00::/8" }),
      ];
      for (const rule of notWorld) {
        assert.deepEqual(await messages([...compliant, rule]), [], rule.name);
      }
    });

    it("must allow a world-open TCP range only when every port in it is a listener's or configured", async () => {
      const http = fixture(aws.lb.Listener, "http", {
        loadBalancerArn: "arn:alb",
        protocol: "HTTP",
        port: 80,
        defaultActions: [],
      });
      const withHttp = (rule: Fixture, config = {}) =>
        messages([listener, http, taskSg, fromAlb, service, rule], config);
      assert.deepEqual(
        await withHttp(ingress("both", { fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" })),
        [],
      );
      assert.deepEqual(
        await withHttp(
          ingress("tcp-number", { ipProtocol: "6", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" }),
        ),
        [],
      );
      const between = await withHttp(
        ingress("between", { fromPort: 80, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
      );
      assert.equal(between.length, 1);
      assert.match(between[0]!, opens("tcp 80-443"));
      assert.match(between[0]!, /listener ports open to all: 443, 80\.$/);
      assert.deepEqual(
        await withHttp(ingress("configured", { fromPort: 8080, toPort: 8081, cidrIpv4: "0.0.0.0/0" }), {
          allowedPublicPorts: [8080, 8081],
        }),
        [],
      );
      assert.equal(
        (
          await withHttp(ingress("one-more", { fromPort: 8080, toPort: 8082, cidrIpv4: "0.0.0.0/0" }), {
            allowedPublicPorts: [8080, 8081],
          })
        ).length,
        1,
      );
      // A listener port over UDP or every protocol is not what the listener serves.
      assert.match(
        await reported(
          ingress("udp-443", { ipProtocol: "udp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
        ),
        opens("udp 443-443"),
      );
    });

    it("must report a reversed range (from above to) instead of reading it as no ports", async () => {
      assert.match(
        await reported(ingress("reversed", { fromPort: 8080, toPort: 22, cidrIpv4: "0.0.0.0/0" })),
        opens("tcp 8080-22"),
      );
      assert.match(
        await reported(ingress("reversed-on-listener", { fromPort: 443, toPort: 80, cidrIpv4: "0.0.0.0/0" })),
        opens("tcp 443-80"),
      );
    });

    it("must read a missing port as the whole range", async () => {
      assert.match(
        await reported(ingress("no-ports", { cidrIpv4: "0.0.0.0/0" })),
        opens(
          "tcp 0-65535 (including 22 SSH, 1433 SQL Server, 1521 Oracle, 3306 MySQL, 3389 RDP, 5432 PostgreSQL, 6379 Redis, 27017 MongoDB)",
        ),
      );
    });

    it("must read protocols as EC2 does: numbers, any case, padded", async () => {
      assert.deepEqual(
        await messages([
          ...compliant,
          ingress("tcp-caps", { ipProtocol: " TCP ", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }),
        ]),
        [],
      );
      assert.match(
        await reported(
          ingress("udp-number", { ipProtocol: "17", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
        ),
        opens("udp 22-22 (including 22 SSH)"),
      );
      assert.match(
        await reported(ingress("gre", { ipProtocol: "47", fromPort: 0, toPort: 0, cidrIpv4: "0.0.0.0/0" })),
        opens("47 0-0"),
      );
    });

    it("must take a listener without a port as 443 for HTTPS and 80 for HTTP", async () => {
      const portless = (protocol: string) =>
        fixture(aws.lb.Listener, `l-${protocol}`, {
          loadBalancerArn: "arn:alb",
          protocol,
          defaultActions: [],
        });
      const open = (port: number) =>
        ingress(`in-${port}`, { fromPort: port, toPort: port, cidrIpv4: "0.0.0.0/0" });
      const stack = (l: Fixture, rule: Fixture) => messages([l, taskSg, fromAlb, service, rule]);
      assert.deepEqual(await stack(portless("HTTPS"), open(443)), []);
      assert.equal((await stack(portless("HTTPS"), open(80))).length, 1);
      assert.deepEqual(await stack(portless("HTTP"), open(80)), []);
      assert.equal((await stack(portless("HTTP"), open(443))).length, 1);
      const alb = fixture(aws.alb.Listener, "alb-listener", {
        loadBalancerArn: "arn:alb",
        port: 8443,
        defaultActions: [],
      });
      assert.deepEqual(await stack(alb, open(8443)), []);
    });

    it("must judge each of a service's security groups, not only the first", async () => {
      const extraSg = fixture(
        aws.ec2.SecurityGroup,
        "extra-sg",
        { vpcId: "vpc-1" },
        { outputs: { id: "sg-extra" } },
      );
      const twoGroups = fixture(aws.ecs.Service, "service", {
        cluster: "arn:cluster",
        networkConfiguration: { subnets: ["subnet-a"], securityGroups: ["sg-task", "sg-extra"] },
      });
      const ssh = ingress("ssh", {
        securityGroupId: "sg-extra",
        fromPort: 22,
        toPort: 22,
        cidrIpv4: "0.0.0.0/0",
      });
      assert.deepEqual(
        (await messages([listener, taskSg, extraSg, fromAlb, twoGroups, ssh])).map(
          (m) => m.split(" to the world")[0],
        ),
        ['Security group "extra-sg" of ECS service "service" opens tcp 22-22 (including 22 SSH)'],
      );
    });

    it("must judge only ingress, only of the service's groups, found by id or by dependency", async () => {
      const egress = sgRule("egress", { type: "egress", protocol: "-1", cidrBlocks: ["0.0.0.0/0"] });
      assert.deepEqual(await messages([...compliant, egress]), []);
      const inlineJunk = fixture(
        aws.ec2.SecurityGroup,
        "task-sg",
        {
          vpcId: "vpc-1",
          ingress: [
            UNKNOWN_STRING as never,
            { protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["10.0.0.0/8"] },
          ],
        },
        { outputs: { id: "sg-task" } },
      );
      assert.deepEqual(await messages([listener, inlineJunk, fromAlb, service]), []);
      // At preview the group id is unknown: the service names the group through its dependencies.
      const byDependency = fixture(
        aws.ecs.Service,
        "service",
        {
          cluster: "arn:cluster",
          networkConfiguration: { subnets: ["subnet-a"], securityGroups: [UNKNOWN_STRING] },
        },
        { propertyDependencies: { networkConfiguration: [taskSg.urn] } },
      );
      const ssh = ingress("ssh", { fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" });
      assert.equal((await messages([listener, taskSg, byDependency, ssh])).length, 1);
      const otherDependency = fixture(
        aws.ecs.Service,
        "service",
        {
          cluster: "arn:cluster",
          networkConfiguration: { subnets: ["subnet-a"], securityGroups: [UNKNOWN_STRING] },
        },
        {
          propertyDependencies: {
            networkConfiguration: [
              "urn:pulumi:test::drox-backup::aws:ec2/securityGroup:SecurityGroup::other",
            ],
          },
        },
      );
      assert.deepEqual(await messages([listener, taskSg, otherDependency, ssh]), []);
      const noNetwork = fixture(aws.ecs.Service, "service", { cluster: "arn:cluster" });
      assert.deepEqual(await messages([listener, taskSg, noNetwork, ssh]), []);
    });

    it("must allow public schedules when the config allows public IPs, and ignore schedules without a network", async () => {
      const schedule = (name: string, ecsParameters: Record<string, unknown>) =>
        fixture(aws.scheduler.Schedule, name, {
          scheduleExpression: "cron(0 2 * * ? *)",
          flexibleTimeWindow: { mode: "OFF" },
          target: {
            arn: "arn:cluster",
            roleArn: "arn:role",
            ecsParameters: { taskDefinitionArn: "arn:task", ...ecsParameters },
          },
        });
      const open = schedule("open", {
        networkConfiguration: { subnets: ["subnet-a"], assignPublicIp: true },
      });
      assert.deepEqual(await messages([...compliant, open], { allowPublicIp: true }), []);
      const privateOne = schedule("private", {
        networkConfiguration: { subnets: ["subnet-a"], assignPublicIp: false },
      });
      const none = schedule("none", {});
      assert.deepEqual(await messages([...compliant, privateOne, none]), []);
    });

    it("must say when no port is open to all", async () => {
      const [message] = await messages([
        taskSg,
        fromAlb,
        service,
        ingress("ssh", { fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }),
      ]);
      assert.match(message!, /listener ports open to all: none\.$/);
    });
  });
});
