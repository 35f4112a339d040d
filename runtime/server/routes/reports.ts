/**
 * `POST /api/reports/weekly` and `POST /api/reports/monthly` — build the report now and send it
 * through the events topic; the same bearer token as every /api/* route (./auth.ts).
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { WeeklyReportSender } from "../deps";
import { parseOr400 } from "../validation";

const WeeklyRequest = z.strictObject({
  /** The report's date in the display time zone (default today): it covers the seven days before. */
  week: z.iso.date({ message: "must be a date YYYY-MM-DD, e.g. 2024-11-03" }).optional(),
});

const MonthlyRequest = z.strictObject({
  /** The month in the display time zone (default: the month before today). */
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month YYYY-MM, e.g. 2024-11")
    .optional(),
});

export function reportRoutes(app: FastifyInstance, reports: WeeklyReportSender): void {
  const sendMonthly = reports.sendMonthly?.bind(reports);
  if (sendMonthly) {
    app.post("/api/reports/monthly", async (request) => {
      const body = parseOr400(MonthlyRequest, request.body, "report request");
      const report = await sendMonthly({ month: body.month });
      request.log.info({ reportId: report.reportId, total: report.total }, "monthly report sent");
      return { ok: true, report };
    });
  }
  app.post("/api/reports/weekly", async (request) => {
    const body = parseOr400(WeeklyRequest, request.body, "report request");
    const report = await reports.send({ reportDate: body.week });
    request.log.info({ reportId: report.reportId, total: report.total }, "weekly report sent");
    return { ok: true, report };
  });
}
