import assert from "node:assert/strict";
import { crc32, inflateSync } from "node:zlib";
import type { BackupResult } from "../runtime/contract/events";
import { PANEL_HEIGHT, PANEL_WIDTH, chartData, renderChartPng } from "../runtime/reports/chart";
import { sparkline } from "../runtime/reports/sparkline";
import { trendWeeks } from "../runtime/reports/periods";
import { weekPeriod } from "../runtime/jobs/report";

interface DecodedPng {
  width: number;
  height: number;
  colorType: number;
  pixels: Buffer;
}

/**
 * A PNG decoded as far as a viewer must (https://www.w3.org/TR/png-3/): the signature, every
 * chunk's CRC, IHDR, the zlib stream of all IDAT chunks inflated to exactly one filter byte plus
 * one row of pixels per line, and IEND last.
 */
function decodePng(png: Buffer): DecodedPng {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  let last = "";
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    assert.equal(crc32(png.subarray(offset + 4, offset + 8 + length)), crc, `CRC of ${type}`);
    if (type === "IHDR") ihdr = data;
    if (type === "IDAT") idat.push(data);
    last = type;
    offset += 12 + length;
  }
  assert.equal(last, "IEND");
  assert.ok(ihdr, "IHDR");
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const bitDepth = ihdr[8]!;
  const colorType = ihdr[9]!;
  assert.equal(bitDepth, 8);
  const channels = { 2: 3, 6: 4 }[colorType as 2 | 6];
  assert.ok(channels, `colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (1 + width * channels));
  for (let row = 0; row < height; row++) assert.ok(raw[row * (1 + width * channels)]! <= 4, "filter type");
  return { width, height, colorType, pixels: raw };
}

const ZONE = "Asia/Seoul";

function result(i: number, finishedAt: string, overrides: Partial<BackupResult> = {}): BackupResult {
  return {
    schema: "backup.result.v1",
    jobId: `job-${i}`,
    type: "EBS",
    resource: `vol-${i}`,
    status: "SUCCEEDED",
    startedAt: finishedAt,
    finishedAt,
    durationSeconds: 30,
    ...overrides,
  };
}

describe("report chart", function () {
  this.timeout(60_000);

  it("must cut the 8 weeks before the report's date, oldest first, labelled by their Sunday", () => {
    const weeks = trendWeeks(weekPeriod(new Date("2024-11-03T09:00:00+09:00"), ZONE), ZONE);
    assert.deepEqual(
      weeks.map((w) => w.label),
      ["09/08", "09/15", "09/22", "09/29", "10/06", "10/13", "10/20", "10/27"],
    );
    assert.equal(weeks[0]!.start.toISOString(), "2024-09-07T15:00:00.000Z");
    assert.equal(weeks[7]!.end.toISOString(), "2024-11-02T15:00:00.000Z");
  });

  it("must count runs per type, week and status, and the success rate of each week that had runs", () => {
    const weeks = trendWeeks(weekPeriod(new Date("2024-11-03T09:00:00+09:00"), ZONE), ZONE);
    const data = chartData(
      [
        result(1, "2024-10-28T02:00:00+09:00"),
        result(2, "2024-10-29T02:00:00+09:00", { status: "FAILED", error: { message: "x" } }),
        result(3, "2024-10-29T02:00:00+09:00", { type: "RDS", status: "WARNING" }),
        // Before the first week and at the (exclusive) end: not drawn.
        result(4, "2024-09-07T23:59:59+09:00"),
        result(5, "2024-11-03T00:00:00+09:00"),
      ],
      weeks,
    );
    assert.deepEqual(data.types, ["EBS", "RDS"]);
    assert.deepEqual(data.runs, [
      { type: "EBS", bucket: "10/27", status: "SUCCEEDED", runs: 1 },
      { type: "EBS", bucket: "10/27", status: "FAILED", runs: 1 },
      { type: "RDS", bucket: "10/27", status: "WARNING", runs: 1 },
    ]);
    assert.deepEqual(data.rates, [
      { type: "EBS", bucket: "10/27", rate: 0.5 },
      { type: "RDS", bucket: "10/27", rate: 0 },
    ]);
  });

  it("must render a PNG that decodes, one 800 × 220 panel per backup type that ran", async () => {
    const weeks = trendWeeks(weekPeriod(new Date("2024-11-03T09:00:00+09:00"), ZONE), ZONE);
    const records = weeks.flatMap((week, w) =>
      (["EBS", "RDS", "S3"] as const).map((type, t) =>
        result(w * 10 + t, new Date(week.start.getTime() + 3_600_000).toISOString(), { type }),
      ),
    );
    const png = await renderChartPng(chartData(records, weeks), "최근 8주 백업");
    const decoded = decodePng(png);
    assert.equal(PANEL_WIDTH, 800);
    assert.equal(PANEL_HEIGHT, 220);
    assert.equal(decoded.width, 800);
    assert.equal(decoded.height, 3 * 220);
    // Not a blank picture: more than one colour (the bars' green among the white).
    const channels = decoded.colorType === 6 ? 4 : 3;
    const colours = new Set<string>();
    for (let row = 0; row < decoded.height; row += 7) {
      const start = row * (1 + decoded.width * channels) + 1;
      // Filtered bytes still differ where the picture does; a blank image filters to all zeros.
      colours.add(decoded.pixels.subarray(start, start + decoded.width * channels).toString("hex"));
    }
    assert.ok(colours.size > 10, `rows differ (${colours.size})`);
  });

  it("must render a period without runs as one panel that says so", async () => {
    const weeks = trendWeeks(weekPeriod(new Date("2025-03-02T09:00:00+09:00"), ZONE), ZONE);
    const decoded = decodePng(await renderChartPng(chartData([], weeks), "최근 8주 백업"));
    assert.deepEqual([decoded.width, decoded.height], [800, 220]);
  });
});

describe("success-rate sparkline", () => {
  it("must draw one bar a week on an absolute 0–100 % scale, · for a week without runs", () => {
    // Bands of 12.5 %: [87.5 %, 100 %] is █, [75 %, 87.5 %) is ▇, [50 %, 62.5 %) is ▅.
    assert.equal(sparkline([1, 0.95, 0.875, 0.8, 0.5, 0.1, 0, null]), "███▇▅▁▁·");
    assert.equal(sparkline([0.625, 0.75, 0.25, 0.375]), "▆▇▃▄");
    assert.equal(sparkline([]), "");
  });
});
