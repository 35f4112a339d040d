/**
 * Waiter timing within one run's deadline. The SDK's waiters reject a configuration whose
 * maxWaitTime is not above minDelay: near the deadline (or with a JOB_TIMEOUT_SECONDS below the poll
 * delay) a plain `maxWaitTime: remaining` made the waiter throw at once and the job gave up without
 * waiting at all. The delays shrink instead, so every wait uses the time it has.
 */
export interface WaitBounds {
  readonly maxWaitTime: number;
  readonly minDelay: number;
  readonly maxDelay: number;
}

/** Seconds (fractions allowed) until `deadline` (epoch ms), at least 1, with delays that fit. */
export function waitBounds(deadline: number, minDelaySeconds: number, maxDelaySeconds: number): WaitBounds {
  const maxWaitTime = Math.max(1, (deadline - Date.now()) / 1000);
  const minDelay = Math.min(minDelaySeconds, maxWaitTime / 2);
  return { maxWaitTime, minDelay, maxDelay: Math.max(minDelay, Math.min(maxDelaySeconds, maxWaitTime)) };
}
