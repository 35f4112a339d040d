/**
 * Values the settings are checked against, each with its source: AWS's documented limits (Fargate
 * task sizes, CloudWatch Logs retention periods, KMS key references) and the example values this
 * project's docs used, which must not pass for real ones. Used by runtime/settings/declaration.ts.
 */

/**
 * Example values from this project's docs and earlier stack files. They pass the format checks, so
 * a stack still carrying one would preview clean and then fail half-way through `up` (or, for the
 * Chatbot ids, point at a workspace that is not the user's): they are refused by name.
 */
export const PLACEHOLDERS = {
  slackTeamId: ["T0123ABCD"],
  slackChannelId: ["C0123ABCD"],
  /**
   * Certificate ids: all zeros, and the one of AWS's own ARN examples
   * (arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012 in
   * https://docs.aws.amazon.com/general/latest/gr/aws-arns-and-namespaces.html).
   */
  certificateId: ["00000000-0000-0000-0000-000000000000", "12345678-1234-1234-1234-123456789012"],
} as const;

const KMS_KEY_ID = /^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const KMS_ALIAS = /^alias\/[A-Za-z0-9/_-]{1,250}$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key\/.+|alias\/.+)$/;

/** Why a DR KMS key reference is unusable, or undefined. An ARN must be in the DR region. */
export function drKmsKeyProblem(value: string, drRegion: string | undefined): string | undefined {
  const arn = KMS_ARN.exec(value);
  if (arn) {
    const rest = arn[2] ?? "";
    if (!(KMS_KEY_ID.test(rest.replace(/^key\//, "")) || KMS_ALIAS.test(rest))) {
      return `"${value}" is not a KMS key or alias ARN`;
    }
    if (drRegion !== undefined && arn[1] !== drRegion) {
      return `is in ${arn[1]}, but copies are encrypted in drRegion ${drRegion}: use a key of ${drRegion}`;
    }
    return undefined;
  }
  if (KMS_KEY_ID.test(value) || KMS_ALIAS.test(value)) return undefined;
  return `"${value}" is not a KMS key id, key ARN, alias (alias/…) or alias ARN of the DR region`;
}

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/**
 * Fargate's task sizes: the memory (MiB) each CPU value allows, from AWS's table
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html, and the
 * `memory` parameter of RegisterTaskDefinition). ECS refuses any other pair only when `up` registers
 * the task definition, after the rest of the stack has changed.
 */
export const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: steps(1024, 4096, 1024),
  1024: steps(2048, 8192, 1024),
  2048: steps(4096, 16384, 1024),
  4096: steps(8192, 30720, 1024),
  8192: steps(16384, 61440, 4096),
  16384: steps(32768, 122880, 8192),
};

export const FARGATE_CPU = Object.keys(FARGATE_MEMORY).map(Number);

function steps(min: number, max: number, step: number): number[] {
  return Array.from({ length: (max - min) / step + 1 }, (_, i) => min + i * step);
}

export function describeMemory(values: readonly number[]): string {
  const [first = 0, second = 0] = values;
  const last = values.at(-1) ?? 0;
  if (values.length <= 4) return `${values.slice(0, -1).join(", ")} or ${last}`;
  return `${first} to ${last} in steps of ${second - first}`;
}
