/**
 * A snapshot still being made when the job's wait (JOB_TIMEOUT_SECONDS) runs out was created and
 * usually completes later — first snapshots of large volumes take hours. The job reports it as a
 * WARNING, not a failure, and the integrity check (./check.ts) follows it up: an own snapshot
 * still not done after SNAPSHOT_PENDING_GRACE_HOURS becomes a finding there.
 */

export const SNAPSHOT_PENDING_CODE = "SnapshotPending";

/**
 * A snapshot (or DR copy) in progress for this long is reported by the integrity check: one not
 * done within a day is behind the next daily backup.
 */
export const SNAPSHOT_PENDING_GRACE_HOURS = 24;

/** `what` is e.g. "Snapshot snap-123" or "DB snapshot drox-db-1-…". */
export function snapshotPendingMessage(what: string, state: string, waitedSeconds: number): string {
  return (
    `${what} still ${state} after ${waitedSeconds} s; it was created and usually completes later. ` +
    `The integrity check will follow it up and report it if it is not done within ${SNAPSHOT_PENDING_GRACE_HOURS} h.`
  );
}
