/** `POST /api/reports/weekly` — build the weekly report now and send it through the events topic. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { WeeklyReportSender } from "../deps";
import { parseOr400 } from "../validation";

const WeeklyRequest = z.strictObject({
  /** The report's date in the display time zone (default today): it covers the seven days before. */
  week: z.iso.date({ message: "must be a date YYYY-MM-DD, e.g. 2024-11-03" }).optional(),
});

export function reportRoutes(app: FastifyInstance, reports: WeeklyReportSender): void {
  app.post("/api/reports/weekly", async (request) => {
    const body = parseOr400(WeeklyRequest, request.body, "report request");
    const report = await reports.send({ reportDate: body.week });
    request.log.info({ reportId: report.reportId, total: report.total }, "weekly report sent");
    return { ok: true, report };
  });
}
