/**
 * `backup.restore.v1` at every boundary: the schema, the Slack text and routing, the Notion row,
 * the SNS subject and attributes. Expected values are written out as people read them.
 */
import assert from "node:assert/strict";
import { eventId, parseEvent, type RestoreEvent } from "../runtime/contract/events";
import { ValidationError } from "../runtime/contract/errors";
import { mapEvent, toProperties } from "../runtime/notion/mapping";
import { pageBlocks } from "../runtime/notion/blocks";
import { attributesOf, subjectOf } from "../runtime/publishing/sns";
import { buildPayload } from "../runtime/slack/blocks";
import { formatMessage } from "../runtime/slack/messages";
import { channelsFor } from "../runtime/slack/routing";
import { STSClient } from "@aws-sdk/client-sts";
import { identifyOperator, operatorName, RestoreDeliveryError } from "../runtime/restore";
import { recordRestore } from "../runtime/restore/record";

const RESTORED: RestoreEvent = {
  schema: "backup.restore.v1",
  restoreId: "01JCA0000000000000000RSTR1",
  type: "EBS",
  resource: "vol-123456",
  from: "snap-789",
  target: "vol-0abc",
  requestedBy: "alice",
  status: "SUCCEEDED",
  startedAt: "2024-11-04T02:00:00+09:00",
  finishedAt: "2024-11-04T02:01:05+09:00",
  durationSeconds: 65,
  metrics: { sizeBytes: 107374182400 },
};

const S3_FAILED: RestoreEvent = {
  schema: "backup.restore.v1",
  restoreId: "01JCA0000000000000000RSTR2",
  type: "S3",
  resource: "logs",
  from: "s3://drox-backup-store/logs/2024/",
  at: "2024-11-03T15:00:00Z",
  target: "s3://logs-restored/",
  region: "ap-northeast-3",
  requestedBy: "bob (AWS profile prod-admin)",
  status: "FAILED",
  startedAt: "2024-11-04T02:00:00+09:00",
  finishedAt: "2024-11-04T02:00:09+09:00",
  durationSeconds: 9,
  metrics: { filesTotal: 10, filesCopied: 0, filesFailed: 10, filesRefused: 2, sizeBytes: 0 },
  error: { message: "Cannot list the destination bucket", code: "AccessDenied" },
};

describe("backup.restore.v1", () => {
  it("must validate a restore and key it on its restore id", () => {
    assert.deepEqual(parseEvent(RESTORED), RESTORED);
    assert.equal(eventId(RESTORED), "01JCA0000000000000000RSTR1");
  });

  it("must require an error when FAILED and name each wrong field", () => {
    const fields = (input: unknown) => {
      try {
        parseEvent(input);
      } catch (e) {
        assert.ok(e instanceof ValidationError);
        return e.issues.map((i) => i.field).sort();
      }
      return assert.fail("must be rejected");
    };
    assert.deepEqual(fields({ ...S3_FAILED, error: undefined }), ["error"]);
    assert.deepEqual(fields({ ...RESTORED, type: "LOCAL_HDD", requestedBy: "" }), ["requestedBy", "type"]);
  });

  it("must read in Slack as ♻️ 복구 완료 with type, source, target, time taken and operator", () => {
    assert.deepEqual(formatMessage(RESTORED).split("\n"), [
      "♻️ 복구 완료",
      "",
      "타입: EBS",
      "원본: snap-789 · vol-123456",
      "복구 대상: vol-0abc",
      "소요 시간: 1분 5초",
      "실행자: alice",
      "Restore ID: 01JCA0000000000000000RSTR1",
    ]);
    assert.deepEqual(channelsFor(RESTORED), ["main"]);
  });

  it("must read in Slack as ♻️ 복구 실패 with the point in time, the error and the alert line, and go to alerts", () => {
    assert.deepEqual(formatMessage(S3_FAILED).split("\n"), [
      "♻️ 복구 실패",
      "",
      "타입: S3",
      "원본: s3://drox-backup-store/logs/2024/ (2024-11-04 00:00:00 시점) · logs",
      "복구 대상: s3://logs-restored/",
      "리전: ap-northeast-3",
      "소요 시간: 9초",
      "실행자: bob (AWS profile prod-admin)",
      "Restore ID: 01JCA0000000000000000RSTR2",
      "시각: 2024-11-04 02:00:00",
      "",
      "메트릭:",
      "파일 수: 0/10",
      "덮어쓰지 않은 파일: 2",
      "실패한 파일: 10",
      "",
      "에러 메시지:",
      "Cannot list the destination bucket",
      "",
      "⚠️ 즉시 확인이 필요합니다.",
    ]);
    assert.deepEqual(channelsFor(S3_FAILED), ["main", "alerts"]);
    const payload = buildPayload(S3_FAILED);
    assert.deepEqual(payload.blocks[0], {
      type: "header",
      text: { type: "plain_text", text: "♻️ 복구 실패", emoji: true },
    });
  });

  it("must map to a Notion row under 보안 점검 with the outcome's status", () => {
    const plan = { titleProperty: "Name", summaryTextProperty: "Summary", statusType: "status" } as const;
    assert.deepEqual(toProperties(mapEvent(RESTORED), plan), {
      Name: { title: [{ type: "text", text: { content: "EBS 복구: snap-789 → vol-0abc" } }] },
      Summary: { rich_text: [{ type: "text", text: { content: "EBS 복구: snap-789 → vol-0abc" } }] },
      Date: { date: { start: "2024-11-04" } },
      Status: { status: { name: "✅ 완료" } },
      Category: { multi_select: [{ name: "보안 점검" }] },
      Week: { select: { name: "1주차" } },
      System_Health: { select: { name: "정상" } },
      Backup_Size: { number: 100 },
      DB_Verified: { checkbox: false },
      Security_Check: { checkbox: false },
    });
    const failed = mapEvent(S3_FAILED);
    assert.equal(failed.status, "❌ 실패");
    assert.equal(failed.health, "이상");
    assert.equal(failed.id, "01JCA0000000000000000RSTR2");
    // The idempotency lookup reads the first block back.
    const first = pageBlocks(S3_FAILED)[0];
    assert.deepEqual(first, {
      object: "block",
      type: "paragraph",
      paragraph: {
        rich_text: [{ type: "text", text: { content: "Restore ID: 01JCA0000000000000000RSTR2" } }],
      },
    });
  });

  it("must publish with an ASCII subject and status/type attributes for subscription filters", () => {
    assert.equal(subjectOf(RESTORED), "drox-backup restore EBS SUCCEEDED: vol-0abc");
    assert.deepEqual(attributesOf(S3_FAILED), {
      schema: { DataType: "String", StringValue: "backup.restore.v1" },
      status: { DataType: "String", StringValue: "FAILED" },
      type: { DataType: "String", StringValue: "S3" },
    });
  });

  it("must name the operator by login name and AWS profile, never by credentials", () => {
    assert.equal(
      operatorName({ USER: "alice", AWS_PROFILE: "prod-admin" }),
      "alice (AWS profile prod-admin)",
    );
    assert.equal(operatorName({ LOGNAME: "bob", AWS_ACCESS_KEY_ID: "AKIASENTINEL0000" }), "bob");
    assert.equal(operatorName({ USERNAME: "carol" }), "carol");
  });

  it("must name the AWS identity the restore runs as, and fall back to the login name when STS cannot answer", async () => {
    const arn = "arn:aws:sts::123456789012:assumed-role/Admin/alice";
    const answering = new STSClient({
      region: "us-east-1",
      credentials: { accessKeyId: "AKIASENTINEL0000", secretAccessKey: "sentinel-secret-key" },
    });
    answering.middlewareStack.add(
      () => async () => ({
        output: { Arn: arn, Account: "123456789012", UserId: "AROA:alice", $metadata: {} },
        response: {},
      }),
      { step: "initialize", name: "fakeSts" },
    );
    const named = await identifyOperator(answering, { USER: "alice", AWS_PROFILE: "prod-admin" });
    assert.equal(named, `alice (${arn})`);
    assert.doesNotMatch(named, /SENTINEL|sentinel-secret/);

    // Nothing listens on port 9 (discard): STS unreachable, the restore is still named.
    const unreachable = new STSClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      maxAttempts: 1,
      credentials: { accessKeyId: "AKIASENTINEL0000", secretAccessKey: "sentinel-secret-key" },
    });
    assert.equal(
      await identifyOperator(unreachable, { USER: "alice", AWS_PROFILE: "prod-admin" }),
      "alice (AWS profile prod-admin)",
    );
  });

  it("must record in the history even when publishing fails, then fail naming what was not delivered", async () => {
    const recorded: RestoreEvent[] = [];
    const sinks = {
      history: { put: async (e: RestoreEvent) => (recorded.push(e), true) },
      publisher: {
        publish: async () => {
          throw new Error("SNS unreachable");
        },
      },
    };
    await assert.rejects(recordRestore(sinks, RESTORED), (e: unknown) => {
      assert.ok(e instanceof RestoreDeliveryError);
      assert.equal(
        e.message,
        "restore 01JCA0000000000000000RSTR1 could not be recorded or published: publish: SNS unreachable",
      );
      assert.equal(e.retryable, true);
      assert.deepEqual(e.event, RESTORED);
      return true;
    });
    assert.deepEqual(recorded, [RESTORED]);
  });
});
