import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import { chatbotGuardrails } from "../policy/chatbot-guardrails";
import { change, fixture, runResourcePolicy, UNKNOWN_STRING } from "./support/policy-harness";

const channel = fixture(aws.chatbot.SlackChannelConfiguration, "chatbot", {
  configurationName: "drox-alerts",
  iamRoleArn: "arn:aws:iam::123456789012:role/chatbot",
  slackChannelId: "C0123ABCD",
  slackTeamId: "T0123ABCD",
  snsTopicArns: ["arn:aws:sns:ap-northeast-2:123456789012:alerts"],
  guardrailPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
});
const withGuardrails = (arns: unknown) =>
  change(channel, (p) => {
    p.guardrailPolicyArns = arns;
  });

describe("policy chatbot-guardrails", () => {
  it("must pass a read-only guardrail", async () => {
    assert.deepEqual((await runResourcePolicy(chatbotGuardrails, channel)).violations, []);
  });

  it("must report a channel without guardrails (Chatbot then applies AdministratorAccess) as mandatory", async () => {
    for (const arns of [undefined, []]) {
      const outcome = await runResourcePolicy(chatbotGuardrails, withGuardrails(arns));
      assert.equal(outcome.violations.length, 1);
      assert.equal(outcome.violations[0]!.enforcementLevel, "mandatory");
      assert.match(outcome.violations[0]!.message, /^The channel has no guardrail policies.*ReadOnlyAccess/);
    }
  });

  it("must report AdministratorAccess among the guardrails", async () => {
    const outcome = await runResourcePolicy(
      chatbotGuardrails,
      withGuardrails([
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
      ]),
    );
    assert.deepEqual(
      outcome.violations.map((v) => v.message.split(" lets")[0]),
      ["Guardrail arn:aws:iam::aws:policy/AdministratorAccess"],
    );
  });

  it("must take the forbidden guardrails from config", async () => {
    const outcome = await runResourcePolicy(chatbotGuardrails, channel, {
      forbiddenPolicies: ["ReadOnlyAccess"],
    });
    assert.equal(outcome.violations.length, 1);
  });

  it("must leave guardrails unknown at preview to the update", async () => {
    const outcome = await runResourcePolicy(chatbotGuardrails, withGuardrails(UNKNOWN_STRING));
    assert.deepEqual(outcome.violations, []);
    assert.equal(outcome.unknown, undefined);
  });

  it("must tell what a missing or forbidden guardrail allows and which guardrail to set", async () => {
    const fix =
      'Set guardrailPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] (or a narrower policy such as ' +
      "CloudWatchReadOnlyAccess).";
    const none = await runResourcePolicy(chatbotGuardrails, withGuardrails([]));
    assert.deepEqual(
      none.violations.map((v) => v.message),
      [`The channel has no guardrail policies, so Chatbot applies AdministratorAccess. ${fix}`],
    );
    const admin = await runResourcePolicy(
      chatbotGuardrails,
      withGuardrails(["arn:aws:iam::aws:policy/AdministratorAccess"]),
    );
    assert.deepEqual(
      admin.violations.map((v) => v.message),
      [
        `Guardrail arn:aws:iam::aws:policy/AdministratorAccess lets channel members run any AWS command. ${fix}`,
      ],
    );
  });

  it("must judge a guardrail by its policy name, not a name that only contains it", async () => {
    const outcome = await runResourcePolicy(
      chatbotGuardrails,
      withGuardrails(["arn:aws:iam::123456789012:policy/NotAdministratorAccess", 42]),
    );
    assert.deepEqual(outcome.violations, []);
  });
});
