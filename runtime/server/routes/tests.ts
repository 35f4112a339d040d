/**
 * `POST /api/test/slack` and `/api/test/notion` — the seed's first step after setup. The answer
 * says what happened and, on failure, what to check; upstream error messages are scrubbed.
 */
import type { FastifyInstance } from "fastify";
import { ConfigError, DroxError } from "../../contract/errors";
import { redactText } from "../../logging/redact";
import type { NotionTestWriter, SlackTestSender } from "../deps";
import { HttpError } from "../errors";
import { notionChecks, slackChecks } from "../troubleshooting";

function failure(target: string, error: unknown, checks: string[]): HttpError {
  const reason = redactText(error instanceof Error ? error.message : String(error));
  if (error instanceof ConfigError) {
    return new HttpError(503, "NOT_CONFIGURED", `${target} is not configured: ${reason}`, {
      checks,
      cause: error,
    });
  }
  const upstream =
    error instanceof DroxError && error.statusCode !== undefined ? ` (HTTP ${error.statusCode})` : "";
  return new HttpError(
    502,
    `${target.toUpperCase()}_TEST_FAILED`,
    `${target} test failed${upstream}: ${reason}`,
    {
      checks,
      cause: error,
    },
  );
}

export function testRoutes(app: FastifyInstance, slack: SlackTestSender, notion: NotionTestWriter): void {
  app.post("/api/test/slack", async (request) => {
    try {
      await slack.sendTest();
    } catch (error) {
      request.log.warn({ err: error }, "Slack test message failed");
      throw failure("Slack", error, slackChecks(error));
    }
    return { ok: true, message: "the test message was sent to the main Slack webhook (#devops-backup)" };
  });

  app.post("/api/test/notion", async (request) => {
    let pageId: string;
    try {
      ({ pageId } = await notion.writeTestPage());
    } catch (error) {
      request.log.warn({ err: error }, "Notion test page failed");
      throw failure("Notion", error, notionChecks(error));
    }
    return { ok: true, message: "a test page was written to the Notion database", pageId };
  });
}
