import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { ecsServiceNetworkRestricted } from "../policy/ecs-service-network-restricted";
import { Fixture, fixture, runStackPolicy } from "./support/policy-harness";

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
});
