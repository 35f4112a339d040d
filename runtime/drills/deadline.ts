/**
 * Each drill kind runs against its own deadline: past it, waits stop, the restore counts as failed
 * and the scratch resources are deleted. The deadline is also tagged on every resource so the
 * sweeper of a later drill knows when a leftover is truly left over.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { abortReason } from "../jobs/abort";

export interface DrillDeadline {
  /** When the kind must be done, cleanup included. */
  readonly at: Date;
  /** Aborts on the caller's signal (SIGTERM, shutdown) or when the deadline passes. */
  readonly signal: AbortSignal;
  /** Whether the deadline (not the caller) ended the drill. */
  expired(): boolean;
}

/** Cleanup after the deadline still needs a moment: deletes are single calls. */
export const CLEANUP_GRACE_MS = 5 * 60_000;

export function startDeadline(now: Date, minutes: number, parent?: AbortSignal): DrillDeadline {
  const at = new Date(now.getTime() + minutes * 60_000);
  const timeout = AbortSignal.timeout(Math.max(1, at.getTime() - Date.now()));
  const signal = parent ? AbortSignal.any([parent, timeout]) : timeout;
  return {
    at,
    signal,
    expired: () => (timeout.aborted || Date.now() >= at.getTime()) && !(parent?.aborted ?? false),
  };
}

/** Whether the drill must stop: aborted, or its deadline reached. */
export function isOver(deadline: DrillDeadline): boolean {
  return deadline.signal.aborted || Date.now() >= deadline.at.getTime();
}

export interface PollDelays {
  readonly minDelaySeconds: number;
  readonly maxDelaySeconds: number;
}

/**
 * Probes until it reports done, the deadline passes or the drill is aborted, backing off from
 * minDelay to maxDelay, and returns the last probe's value. Not the SDK's waiters: their acceptors
 * treat a volume in `error` or an instance in `incompatible-restore` as "keep waiting", which would
 * hold a dead restore until the deadline; here the caller decides what is final.
 */
export async function pollUntil<T>(
  probe: () => Promise<{ readonly done: boolean; readonly value: T }>,
  deadline: DrillDeadline,
  delays: PollDelays,
): Promise<T> {
  let delay = delays.minDelaySeconds;
  for (;;) {
    const { done, value } = await probe();
    const left = deadline.at.getTime() - Date.now();
    if (done || deadline.signal.aborted || left <= 0) return value;
    try {
      await sleep(Math.min(delay * 1000, left), undefined, { signal: deadline.signal });
    } catch {
      // Aborted: the next probe shows the state the drill stopped in.
    }
    delay = Math.min(delay * 2, delays.maxDelaySeconds);
  }
}

/** Why a drill stopped early, for a finding. */
export function stopReason(deadline: DrillDeadline, minutes: number): string {
  return deadline.expired()
    ? `the drill's deadline of ${minutes} min passed`
    : `the drill was aborted: ${abortReason(deadline.signal)}`;
}
