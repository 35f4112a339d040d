import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { albListenerHttps } from "../policy/alb-listener-https";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const ALB = "arn:aws:elasticloadbalancing:ap-northeast-2:123456789012:loadbalancer/app/drox/1";
const https = fixture(aws.lb.Listener, "https", {
  loadBalancerArn: ALB,
  protocol: "HTTPS",
  port: 443,
  certificateArn: "arn:aws:acm:ap-northeast-2:123456789012:certificate/1",
  sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
  defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }],
});
const redirect = fixture(aws.lb.Listener, "http", {
  loadBalancerArn: ALB,
  protocol: "HTTP",
  port: 80,
  defaultActions: [
    { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
  ],
});
const plain = fixture(aws.lb.Listener, "http", {
  loadBalancerArn: ALB,
  protocol: "HTTP",
  port: 80,
  defaultActions: [{ type: "forward", targetGroupArn: "arn:tg" }],
});

describe("policy alb-listener-https", () => {
  it("must pass an HTTPS listener and an HTTP listener that only redirects to HTTPS", async () => {
    assert.deepEqual((await runResourcePolicy(albListenerHttps, https)).violations, []);
    assert.deepEqual((await runResourcePolicy(albListenerHttps, redirect)).violations, []);
  });

  it("must report a forwarding HTTP listener as mandatory by default (prod)", async () => {
    const outcome = await runResourcePolicy(albListenerHttps, plain);
    assert.equal(outcome.violations.length, 1);
    assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
    assert.match(
      outcome.violations[0]!.message,
      /^The listener on port 80 serves plain HTTP.* Serve HTTPS: protocol: "HTTPS"/,
    );
  });

  it("must report it as advisory when the stack's policy config says so (dev)", async () => {
    const outcome = await runResourcePolicy(albListenerHttps, plain, { enforcementLevel: "advisory" });
    assert.deepEqual(
      outcome.violations.map((v) => v.enforcementLevel),
      ["advisory"],
    );
  });

  it("must treat a listener without protocol as HTTP, and the legacy aws.alb.Listener alike", async () => {
    const noProtocol = change(plain, (p) => {
      delete p.protocol;
    });
    assert.equal((await runResourcePolicy(albListenerHttps, noProtocol)).violations.length, 1);
    const legacy = fixture(aws.alb.Listener, "legacy", {
      loadBalancerArn: ALB,
      port: 8080,
      defaultActions: [{ type: "forward" }],
    });
    assert.match(
      (await runResourcePolicy(albListenerHttps, legacy)).violations[0]!.message,
      /port 8080 serves plain HTTP/,
    );
  });

  it("must report a redirect that stays on HTTP, and a mix of redirect and forward", async () => {
    const httpRedirect = change(redirect, (p) => {
      p.defaultActions = [
        { type: "redirect", redirect: { protocol: "HTTP", port: "8080", statusCode: "HTTP_302" } },
      ];
    });
    assert.equal((await runResourcePolicy(albListenerHttps, httpRedirect)).violations.length, 1);
    const mixed = change(redirect, (p) => {
      p.defaultActions = [...(p.defaultActions as unknown[]), { type: "forward", targetGroupArn: "arn:tg" }];
    });
    assert.equal((await runResourcePolicy(albListenerHttps, mixed)).violations.length, 1);
  });

  it("must report an HTTPS listener without a certificate", async () => {
    const noCert = change(https, (p) => {
      delete p.certificateArn;
    });
    assert.match(
      (await runResourcePolicy(albListenerHttps, noCert)).violations[0]!.message,
      /^The HTTPS listener has no certificateArn/,
    );
  });

  it("must leave a protocol unknown at preview to the update", async () => {
    const unknown = change(plain, (p) => {
      p.protocol = UNKNOWN_STRING;
    });
    const outcome = await runResourcePolicy(albListenerHttps, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must not apply to other resource types", async () => {
    const topic = fixture(aws.sns.Topic, "events", {});
    const outcome = await runResourcePolicy(albListenerHttps, topic);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.notApplicable.length, 2);
  });

  it("must tell how to serve HTTPS and redirect HTTP, for a listener without a port (80) or a certificate", async () => {
    const fix =
      'Serve HTTPS: protocol: "HTTPS", port: 443, certificateArn: <ACM certificate>, and turn the HTTP ' +
      'listener into a redirect: defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: ' +
      '"443", statusCode: "HTTP_301" } }].';
    const noPort = change(plain, (p) => {
      delete p.port;
    });
    assert.deepEqual(
      (await runResourcePolicy(albListenerHttps, noPort)).violations.map((v) => v.message),
      [`The listener on port 80 serves plain HTTP, so the API token travels in clear text. ${fix}`],
    );
    const emptyCert = change(https, (p) => {
      p.certificateArn = "";
    });
    assert.deepEqual(
      (await runResourcePolicy(albListenerHttps, emptyCert)).violations.map((v) => v.message),
      [`The HTTPS listener has no certificateArn. ${fix}`],
    );
  });

  it("must report an HTTP listener without default actions, and leave actions unknown at preview", async () => {
    const none = change(redirect, (p) => {
      p.defaultActions = [];
    });
    assert.equal((await runResourcePolicy(albListenerHttps, none)).violations.length, 1);
    const unknown = change(plain, (p) => {
      p.defaultActions = UNKNOWN_STRING;
    });
    const outcome = await runResourcePolicy(albListenerHttps, unknown);
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must not judge a listener of another protocol (TCP on a network load balancer) by these rules", async () => {
    const tcp = change(plain, (p) => {
      p.protocol = "TCP";
    });
    assert.deepEqual((await runResourcePolicy(albListenerHttps, tcp)).violations, []);
  });
});
