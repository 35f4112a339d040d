/**
 * What to check when a test message or page fails: the seed guide's troubleshooting lists
 * ("문제 해결"), with the environment item naming this service's variables. The item the failure
 * points at comes first, so the answer leads with the likeliest fix.
 */
import { ConfigError, DroxError } from "../contract/errors";

export const SLACK_CHECKS = [
  "Webhook URL이 올바른지 확인",
  "Slack 앱이 비활성화되지 않았는지 확인",
  "채널이 삭제되지 않았는지 확인",
  "ECS 환경 변수에 `SLACK_WEBHOOK_URL` 또는 `SLACK_WEBHOOK_SECRET_ARN`이 설정되었는지 확인",
] as const;

export const NOTION_CHECKS = [
  "Integration Token이 올바른지 확인",
  "Database ID가 올바른지 확인",
  "Integration이 데이터베이스에 연결되었는지 확인",
  "데이터베이스 속성 이름이 정확한지 확인 (대소문자, 언더스코어)",
  "ECS 환경 변수 확인 (`NOTION_TOKEN` 또는 `NOTION_TOKEN_SECRET_ARN`, `NOTION_DATABASE_ID`)",
] as const;

/** The list with the items at `first` moved to the front, in that order. */
function leadWith(list: readonly string[], ...first: number[]): string[] {
  return [...first.map((i) => list[i] ?? ""), ...list.filter((_, i) => !first.includes(i))];
}

function statusOf(error: unknown): number | undefined {
  return error instanceof DroxError ? error.statusCode : undefined;
}

/** Slack answers 404 no_service for a wrong or revoked URL, 403/410 for a disabled app or archived channel. */
export function slackChecks(error: unknown): string[] {
  if (error instanceof ConfigError) return leadWith(SLACK_CHECKS, 3);
  const status = statusOf(error);
  if (status === 404 || status === 400) return leadWith(SLACK_CHECKS, 0);
  if (status === 403) return leadWith(SLACK_CHECKS, 1);
  if (status === 410) return leadWith(SLACK_CHECKS, 2);
  return [...SLACK_CHECKS];
}

/** Notion answers 401 for a bad token, 404 when the id is wrong or the database is not shared, 400 for schema mismatches. */
export function notionChecks(error: unknown): string[] {
  if (error instanceof ConfigError) return leadWith(NOTION_CHECKS, 4);
  const status = statusOf(error);
  if (status === 401) return leadWith(NOTION_CHECKS, 0);
  if (status === 404) return leadWith(NOTION_CHECKS, 2, 1);
  if (status === 400) return leadWith(NOTION_CHECKS, 3);
  return [...NOTION_CHECKS];
}
