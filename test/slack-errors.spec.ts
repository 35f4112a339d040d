import assert from "node:assert/strict";
import { IncomingWebhookRequestError } from "@slack/webhook";
import { DroxError } from "../runtime/contract/errors";
import { registerSecret } from "../runtime/logging/redact";
import {
  adviceFor,
  isPayloadError,
  scrubbedCause,
  settingOf,
  SlackDeliveryError,
  slackErrorCode,
} from "../runtime/slack/errors";
import type { WebhookName } from "../runtime/slack/routing";

const URL_TOKEN = "SentinelErrorsToken0042";
const WEBHOOK = `https://hooks.slack.com/services/T0ERR/B0ERR/${URL_TOKEN}`;
/** The webhook's two settings, as docs/configuration.md lists them. */
const SETTING: Record<WebhookName, string> = {
  main: "SLACK_WEBHOOK_URL / SLACK_WEBHOOK_SECRET_ARN",
  alerts: "SLACK_ALERTS_WEBHOOK_URL / SLACK_ALERTS_WEBHOOK_SECRET_ARN",
  reports: "SLACK_REPORTS_WEBHOOK_URL / SLACK_REPORTS_WEBHOOK_SECRET_ARN",
};
/** The fix for a webhook Slack no longer serves: a new one from the app of docs/setup.md. */
const recreate = (webhook: WebhookName) =>
  `create a new Incoming Webhook in the Slack app "DROX DevOps Backup" and put its URL in ${SETTING[webhook]}`;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** A Node system error as undici hands it up (`connect ECONNREFUSED …`, with its `code`). */
function systemError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: "connect" });
}

describe("Slack delivery errors", () => {
  describe("SlackDeliveryError", () => {
    it("must carry the webhook, Slack's error string, the attempts and the time spent beside the status", () => {
      const cause = new Error("scrubbed");
      const error = new SlackDeliveryError("refused", {
        webhook: "alerts",
        retryable: false,
        statusCode: 404,
        slackError: "channel_not_found",
        attempts: 1,
        elapsedMs: 37,
        cause,
      });
      assert.ok(error instanceof DroxError);
      assert.deepEqual(
        [error.name, error.message, error.webhook, error.slackError, error.attempts, error.elapsedMs],
        ["SlackDeliveryError", "refused", "alerts", "channel_not_found", 1, 37],
      );
      assert.deepEqual(
        [error.retryable, error.statusCode, error.body, error.cause],
        [false, 404, "channel_not_found", cause],
      );
    });
  });

  describe("settingOf", () => {
    for (const webhook of ["main", "alerts", "reports"] as const) {
      it(`must name both variables that can hold the ${webhook} webhook`, () => {
        assert.equal(settingOf(webhook), SETTING[webhook]);
      });
    }
  });

  describe("isPayloadError", () => {
    // Refusals of the message itself: invalid_payload and user_not_found (Slack's 2016-05-17
    // changelog for incoming webhooks), missing_text_or_fallback_or_attachments (what a webhook
    // answers an empty payload, slackapi/slack-github-action#117), and the Block Kit, attachment and
    // length refusals chat.postMessage documents under the same names.
    const payloadErrors = [
      "invalid_payload",
      "user_not_found",
      "too_many_attachments",
      "invalid_attachments",
      "no_text",
      "missing_text_or_fallback_or_attachments",
      "invalid_blocks",
      "invalid_blocks_format",
      "msg_blocks_too_long",
      "msg_too_long",
    ];
    for (const code of payloadErrors) {
      it(`must count ${code} as a refusal of the message`, () => {
        assert.equal(isPayloadError(code), true);
      });
    }

    it("must not count refusals of the webhook, the channel or the rate, nor a missing string", () => {
      for (const code of [
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "no_service",
        "invalid_token",
        "rate_limited",
        "rollup_error",
        "",
        undefined,
      ]) {
        assert.equal(isPayloadError(code), false, String(code));
      }
    });
  });

  describe("adviceFor", () => {
    it("must send a channel_not_found back to the deleted channel and a new webhook", () => {
      const advice = adviceFor("main", 404, "channel_not_found");
      assert.match(
        advice,
        /^the webhook's channel does not exist: check that the channel was not deleted, then /,
      );
      assert.ok(advice.endsWith(recreate("main")), advice);
    });

    it("must offer to unarchive the channel on channel_is_archived (410)", () => {
      const advice = adviceFor("alerts", 410, "channel_is_archived");
      assert.equal(advice, `the webhook's channel is archived: unarchive it, or ${recreate("alerts")}`);
    });

    for (const [status, code] of [
      [404, "no_service"],
      [400, "no_service_id"],
      [403, "invalid_token"],
      [404, "no_active_hooks"],
    ] as const) {
      it(`must say Slack does not know the webhook on ${status} ${code}`, () => {
        const advice = adviceFor("reports", status, code);
        assert.match(advice, /^Slack does not know this webhook: /);
        assert.match(
          advice,
          new RegExp(`the webhook URL in ${escape(SETTING.reports)} is correct \\(copied whole\\)`),
        );
        assert.match(advice, /Incoming Webhook were not disabled or removed/);
        assert.ok(advice.endsWith(`if they were, ${recreate("reports")}`), advice);
      });
    }

    for (const code of ["no_team", "team_disabled"]) {
      it(`must point at the workspace on 404 ${code}`, () => {
        assert.match(
          adviceFor("main", 404, code),
          new RegExp(
            `^the webhook's Slack workspace was not found or is disabled: .*${escape(SETTING.main)} .*workspace is active$`,
          ),
        );
      });
    }

    it("must send an action_prohibited (403) to a workspace admin", () => {
      assert.match(
        adviceFor("main", 403, "action_prohibited"),
        /^a Slack admin restriction forbids .*workspace admin/,
      );
    });

    it("must suggest another channel on posting_to_general_channel_denied (403)", () => {
      assert.equal(
        adviceFor("reports", 403, "posting_to_general_channel_denied"),
        `only admins may post to this channel (e.g. #general): ${recreate("reports")} for another channel such as #devops-backup`,
      );
    });

    it("must explain msg_blocks_too_long as a drox-backup bug beyond Slack's limit and the fallback", () => {
      const advice = adviceFor("main", 400, "msg_blocks_too_long");
      assert.match(advice, /^Slack refused the message's blocks as too long \(about 12,000 characters/);
      assert.match(advice, /keeps them under 9,000 and falls back to the plain text/);
      assert.match(advice, /this is a drox-backup bug: please report it with the event id$/);
    });

    for (const code of ["invalid_payload", "invalid_blocks", "user_not_found", "too_many_attachments"]) {
      it(`must call a 400 ${code} a drox-backup bug, whatever the webhook`, () => {
        assert.equal(
          adviceFor("alerts", 400, code),
          "Slack rejected the message itself: this is a drox-backup bug, please report it with the event id",
        );
      });
    }

    for (const status of [401, 403, 404]) {
      it(`must check the URL, the app and the channel on a bare ${status}`, () => {
        assert.equal(
          adviceFor("alerts", status, undefined),
          `check that the webhook URL in ${SETTING.alerts} is correct, that the Slack app is not disabled ` +
            "and that the channel was not deleted",
        );
      });
    }

    it("must call for a new webhook on a bare 410 Gone", () => {
      assert.equal(adviceFor("main", 410, undefined), `the channel is gone or archived: ${recreate("main")}`);
    });

    for (const [status, code] of [
      [400, undefined],
      [405, "invalid_method"],
      [500, "rollup_error"],
    ] as const) {
      it(`must check the URL and the app on any other answer (${status} ${code ?? "without a string"})`, () => {
        assert.equal(
          adviceFor("reports", status, code),
          `check that the webhook URL in ${SETTING.reports} is correct and that the Slack app is not disabled`,
        );
      });
    }
  });

  describe("slackErrorCode", () => {
    it("must have no code without a body or with a blank one", () => {
      assert.equal(slackErrorCode(undefined), undefined);
      assert.equal(slackErrorCode(""), undefined);
      assert.equal(slackErrorCode(" \n\t"), undefined);
    });

    it("must take the short error string incoming webhooks answer with, trimmed", () => {
      assert.equal(slackErrorCode("channel_not_found"), "channel_not_found");
      assert.equal(slackErrorCode(" no_service\n"), "no_service");
    });

    it("must take the error of a Web API style JSON answer", () => {
      assert.equal(slackErrorCode('{"ok":false,"error":"invalid_auth"}'), "invalid_auth");
      assert.equal(slackErrorCode(' {"ok": false, "error": "rate_limited"}\n'), "rate_limited");
    });

    it("must keep a JSON answer whole when its error is not a Slack error string", () => {
      for (const body of [
        '{"ok":false,"error":42}',
        '{"ok":false,"error":"Bad Request"}',
        '{"ok":false,"error":"BAD"}',
        '{"ok":false,"error":"no_service!"}',
        '{"ok":false,"error":"x"}',
        '{"ok":false}',
      ]) {
        assert.equal(slackErrorCode(body), body);
      }
    });

    it("must cut anything longer than a Slack error string to 120 characters", () => {
      assert.equal(slackErrorCode("x".repeat(200)), "x".repeat(120));
      const html = `<html><body>${"Service Unavailable ".repeat(20)}</body></html>`;
      assert.equal(slackErrorCode(html), html.slice(0, 120));
    });

    it("must scrub webhook URLs and registered secrets from an odd body", () => {
      assert.equal(slackErrorCode(`no_service for ${WEBHOOK}`), "no_service for [REDACTED]");
      assert.equal(slackErrorCode(`proxy refused ${WEBHOOK}`), "proxy refused [REDACTED]");
      const secret = "SENTINEL0042ERRORSBODY";
      registerSecret(secret);
      assert.equal(slackErrorCode(secret), "[REDACTED]");
    });
  });

  describe("scrubbedCause", () => {
    it("must keep the inner errors' name, messages and system code of a refused connection", () => {
      const refused = systemError("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED");
      const sdk = new IncomingWebhookRequestError(new TypeError("fetch failed", { cause: refused }));
      const cause = scrubbedCause(sdk, WEBHOOK);
      assert.equal(cause.name, "TypeError");
      assert.equal(cause.message, "fetch failed: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED)");
      assert.equal(cause.cause, undefined);
    });

    it("must name a timeout as such, wherever it is in the chain", () => {
      const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
      const direct = scrubbedCause(new IncomingWebhookRequestError(timeout), WEBHOOK);
      assert.deepEqual(
        [direct.name, direct.message],
        ["TimeoutError", "The operation was aborted due to timeout"],
      );
      const deeper = scrubbedCause(
        new IncomingWebhookRequestError(new TypeError("fetch failed", { cause: timeout })),
        WEBHOOK,
      );
      assert.deepEqual(
        [deeper.name, deeper.message],
        ["TimeoutError", "fetch failed: The operation was aborted due to timeout"],
      );
    });

    it("must keep an error without causes whole, but not the SDK's own codes", () => {
      const lone = scrubbedCause(systemError("socket hang up", "ECONNRESET"), WEBHOOK);
      assert.deepEqual([lone.name, lone.message], ["Error", "socket hang up (ECONNRESET)"]);
      const sdk = Object.assign(new RangeError("A request error occurred: aborted"), {
        code: "slack_webhook_request_error",
      });
      const scrubbed = scrubbedCause(sdk, WEBHOOK);
      assert.deepEqual(
        [scrubbed.name, scrubbed.message],
        ["RangeError", "A request error occurred: aborted"],
      );
    });

    it("must take the first system code, skipping the SDK's codes and codes that are not strings", () => {
      const chain = new IncomingWebhookRequestError(
        Object.assign(new Error("request failed", { cause: systemError("read ECONNRESET", "ECONNRESET") }), {
          code: 104,
        }),
      );
      assert.equal(scrubbedCause(chain, WEBHOOK).message, "request failed: read ECONNRESET (ECONNRESET)");
      const wrapped = new Error("outer", {
        cause: Object.assign(new Error("inner"), { code: "slack_webhook_http_error" }),
      });
      assert.equal(scrubbedCause(wrapped, WEBHOOK).message, "inner");
    });

    it("must say each message once and skip empty ones", () => {
      const chain = new IncomingWebhookRequestError(
        new TypeError("fetch failed", {
          cause: new Error("", {
            cause: new Error("fetch failed", { cause: new Error("other side closed") }),
          }),
        }),
      );
      assert.equal(scrubbedCause(chain, WEBHOOK).message, "fetch failed: other side closed");
    });

    it("must replace the webhook URL in any message, whatever its shape", () => {
      const loopback = `http://127.0.0.1:9/services/T0FAKE/B0FAKE/${URL_TOKEN}`;
      const chain = new IncomingWebhookRequestError(new TypeError(`fetch ${loopback} failed`));
      assert.equal(scrubbedCause(chain, loopback).message, "fetch [REDACTED] failed");
      const odd = `http://[::1]:9/hook/${URL_TOKEN}`;
      const other = new IncomingWebhookRequestError(new Error(`POST ${odd} timed out`));
      assert.equal(scrubbedCause(other, odd).message, "POST [REDACTED] timed out");
    });

    it("must turn a thrown non-error into an error with its text", () => {
      const cause = scrubbedCause("socket closed", WEBHOOK);
      assert.ok(cause instanceof Error);
      assert.deepEqual([cause.name, cause.message], ["Error", "socket closed"]);
    });

    it("must follow at most five errors, so a cyclic chain ends", () => {
      const a = new Error("first");
      const b = new Error("second", { cause: a });
      Object.defineProperty(a, "cause", { value: b });
      assert.equal(scrubbedCause(a, WEBHOOK).message, "second: first");
      let deep = new Error("level 7");
      for (let level = 6; level >= 1; level--) deep = new Error(`level ${level}`, { cause: deep });
      assert.equal(scrubbedCause(deep, WEBHOOK).message, "level 2: level 3: level 4: level 5");
    });
  });
});
