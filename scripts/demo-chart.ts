/**
 * `npx tsx scripts/demo-chart.ts [FILE]`: the README's picture of the weekly chart, made the way
 * a user makes one — `drox-backup report weekly --chart FILE --dry-run` — from the demo's
 * resources (scripts/demo/resources.ts) with eight weeks of their daily runs in the history
 * (moto's DynamoDB), including the demo's RDS failure and a few S3 warnings.
 * Default FILE: docs/weekly-report-chart.png. The report is dated Sunday 2024-11-03 so the picture
 * does not change from one run to the next.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { BackupResult } from "../runtime/contract/events";
import { DynamoDbHistoryStore } from "../runtime/history/dynamodb";
import { MOTO_REGION, useMoto } from "../test/support/moto";
import { createDemoResources, DEMO } from "./demo/resources";

const REPORT_DATE = "2024-11-03";
const DAY = 86_400_000;

/** The demo's daily round over 56 days: EBS ×2, RDS ×2 (the missing one fails some days), S3 ×2. */
function history(): BackupResult[] {
  const end = Date.parse(`${REPORT_DATE}T00:00:00+09:00`);
  const records: BackupResult[] = [];
  for (let day = 56; day >= 1; day--) {
    const at = end - day * DAY + 2 * 3_600_000;
    const runs: [BackupResult["type"], string, BackupResult["status"]][] = [
      ["EBS", DEMO.taggedVolumeName, "SUCCEEDED"],
      ["EBS", DEMO.listedVolumeName, day % 19 === 0 ? "WARNING" : "SUCCEEDED"],
      ["RDS", DEMO.dbInstance, "SUCCEEDED"],
      ["RDS", DEMO.missingDbInstance, day % 9 === 0 || day < 4 ? "FAILED" : "SUCCEEDED"],
      ["S3", DEMO.sourceBuckets[0], day % 6 === 0 ? "WARNING" : "SUCCEEDED"],
      ["S3", DEMO.sourceBuckets[1], "SUCCEEDED"],
    ];
    runs.forEach(([type, resource, status], i) => {
      const finishedAt = new Date(at + i * 60_000 + 45_000).toISOString();
      records.push({
        schema: "backup.result.v1",
        jobId: `demo-${day}-${i}`,
        type,
        resource,
        status,
        startedAt: new Date(at + i * 60_000).toISOString(),
        finishedAt,
        durationSeconds: 45,
        ...(status === "FAILED" ? { error: { message: "Database instance not found" } } : {}),
      });
    });
  }
  return records;
}

async function main(): Promise<void> {
  const file = resolve(process.argv[2] ?? "docs/weekly-report-chart.png");
  const moto = await useMoto();
  const aws = await createDemoResources(MOTO_REGION);
  const store = new DynamoDbHistoryStore({ client: new DynamoDBClient({}), tableName: DEMO.historyTable });
  for (const record of history()) await store.put(record);
  execFileSync(
    process.execPath,
    [
      "--import",
      "tsx",
      resolve(__dirname, "../runtime/cli.ts"),
      "report",
      "weekly",
      "--week",
      REPORT_DATE,
      "--chart",
      file,
      "--dry-run",
    ],
    { env: { PATH: process.env.PATH ?? "", ...moto.env, ...aws.env }, stdio: "inherit" },
  );
}

// process.exit runs moto's exit hook (test/support/moto.ts kills the server).
void main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
