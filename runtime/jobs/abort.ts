/**
 * A run aborted by its caller (the HTTP service at shutdown, the CLI on SIGTERM/SIGINT) still ends
 * with one result per resource: FAILED with code `Aborted` and a message saying so, recorded and
 * published like any other, so nobody is left wondering whether the backup ran.
 */
import type { Outcome } from "./result";

export const ABORTED_CODE = "Aborted";

/** Why the signal fired, for people: the reason's message when it has one. */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.message.trim()) return reason.message.trim();
  if (typeof reason === "string" && reason.trim()) return reason.trim();
  return "the run was cancelled";
}

/** `what` completes "Backup aborted …", e.g. "before it started". */
export function abortedOutcome(signal: AbortSignal, what: string, extra: Partial<Outcome> = {}): Outcome {
  return {
    ...extra,
    status: "FAILED",
    error: { message: `Backup aborted ${what}: ${abortReason(signal)}`, code: ABORTED_CODE },
  };
}
