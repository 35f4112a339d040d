/** Labels shared by the report's builders and the Slack and Notion formatters (no imports: the Lambdas load it). */

/** `2024-11` → `2024년 11월`. */
export function monthLabel(month: string): string {
  return `${Number(month.slice(0, 4))}년 ${Number(month.slice(5, 7))}월`;
}
