/**
 * A restore refused before anything was created or written: the snapshot does not exist, is still
 * being made, is not drox-backup's (without --force), the target already exists, or there is nothing
 * to restore. Nothing happened, so nothing is recorded or published; the CLI exits 2 with the
 * message, which says what to do instead.
 */
import { DroxError } from "../contract/errors";

export const REFUSALS = [
  "SnapshotNotFound",
  "SnapshotInProgress",
  "SnapshotFailed",
  "SnapshotNotManaged",
  "TargetExists",
  "NothingToRestore",
  "InvalidRequest",
] as const;
export type RefusalCode = (typeof REFUSALS)[number];

export class RestoreRefused extends DroxError {
  readonly code: RefusalCode;

  constructor(code: RefusalCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { retryable: options.retryable ?? false, cause: options.cause });
    this.code = code;
  }
}
