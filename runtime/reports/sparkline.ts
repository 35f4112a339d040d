/**
 * The weekly success rate as a line of text, for Slack messages that cannot carry the chart (webhook
 * mode: an incoming webhook posts no files). One character a week, oldest first, on an absolute
 * 0–100 % scale so that a flat line of `█` means "every run succeeded every week" and a drop is a
 * real drop, not a rescaled wiggle; a week without runs is `·` (no rate to show, not 0 %).
 */
const BARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;
export const NO_RUNS = "·";

/** One bar per rate in 0..1 (`null`: a week without runs). */
export function sparkline(rates: readonly (number | null)[]): string {
  return rates
    .map((rate) => {
      if (rate === null) return NO_RUNS;
      const clamped = Math.min(1, Math.max(0, rate));
      // 8 equal bands of 12.5 %: [0, 12.5 %) is ▁ … [87.5 %, 100 %] is █.
      return BARS[Math.min(BARS.length - 1, Math.floor(clamped * BARS.length))] ?? NO_RUNS;
    })
    .join("");
}
