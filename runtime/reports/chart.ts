/**
 * The report as a picture: for each backup type that ran, the runs of each week stacked by status
 * (bars) and the week's success rate (line, right axis). Vega-Lite describes it, Vega lays it out as
 * SVG headless (no browser, no canvas) and resvg rasterises the SVG to PNG. This runs in the ECS
 * task that builds the report, never in the notification Lambdas (they stay under 2 MB and only
 * relay what the report says).
 *
 * resvg draws no text without a font and the task image has none worth relying on, so the chart
 * loads Noto Sans KR (OFL, shipped by @embedpdf/fonts-kr as OTF) explicitly and never the system's.
 *
 * Each type is its own panel of exactly PANEL_WIDTH × PANEL_HEIGHT pixels ("fit" autosize), stacked
 * top to bottom, so the picture's size follows from the number of types and nothing else.
 */
import path from "node:path";
import { Resvg } from "@resvg/resvg-js";
import type { TopLevelSpec } from "vega-lite" with { "resolution-mode": "import" };
import { BACKUP_TYPES, type BackupType, type Status } from "../contract/events";
import type { JobRecord } from "../history/store";

export const PANEL_WIDTH = 800;
export const PANEL_HEIGHT = 220;
export const CHART_FONT_FAMILY = "Noto Sans KR";

/** One bar group on the x axis: a week (weekly report) or a `N주차` of a month (monthly report). */
export interface ChartBucket {
  /** The x axis label, e.g. `11/04` or `2주차`. */
  readonly label: string;
  readonly start: Date;
  readonly end: Date;
}

export interface ChartRow {
  readonly type: BackupType;
  readonly bucket: string;
  readonly status: Status;
  readonly runs: number;
}

export interface RateRow {
  readonly type: BackupType;
  readonly bucket: string;
  /** SUCCEEDED / runs of the bucket, 0..1; absent for a bucket without runs. */
  readonly rate: number;
}

export interface ChartData {
  readonly buckets: readonly string[];
  readonly types: readonly BackupType[];
  readonly runs: readonly ChartRow[];
  readonly rates: readonly RateRow[];
}

const STATUS_LABELS: Record<Status, string> = { SUCCEEDED: "성공", WARNING: "경고", FAILED: "실패" };
const STATUS_COLORS: Record<Status, string> = { SUCCEEDED: "#2eb67d", WARNING: "#ecb22e", FAILED: "#e01e5a" };

/** Counts the records per type, bucket and status; a record outside every bucket is left out. */
export function chartData(records: readonly JobRecord[], buckets: readonly ChartBucket[]): ChartData {
  const counts = new Map<string, number>();
  const key = (type: string, bucket: string, status: string): string =>
    `${type}\u0000${bucket}\u0000${status}`;
  const seenTypes = new Set<BackupType>();
  for (const record of records) {
    const at = Date.parse(record.finishedAt);
    const bucket = buckets.find((b) => at >= b.start.getTime() && at < b.end.getTime());
    if (!bucket) continue;
    seenTypes.add(record.type);
    const k = key(record.type, bucket.label, record.status);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const types = BACKUP_TYPES.filter((t) => seenTypes.has(t));
  const runs: ChartRow[] = [];
  const rates: RateRow[] = [];
  for (const type of types) {
    for (const bucket of buckets) {
      let total = 0;
      for (const status of ["SUCCEEDED", "WARNING", "FAILED"] as const) {
        const n = counts.get(key(type, bucket.label, status)) ?? 0;
        total += n;
        if (n > 0) runs.push({ type, bucket: bucket.label, status, runs: n });
      }
      const succeeded = counts.get(key(type, bucket.label, "SUCCEEDED")) ?? 0;
      if (total > 0) rates.push({ type, bucket: bucket.label, rate: succeeded / total });
    }
  }
  return { buckets: buckets.map((b) => b.label), types, runs, rates };
}

/** The Vega-Lite spec of one type's panel. */
export function panelSpec(data: ChartData, type: BackupType, title: string): TopLevelSpec {
  const x = {
    field: "bucket",
    type: "ordinal" as const,
    sort: [...data.buckets],
    scale: { domain: [...data.buckets] },
    axis: { title: null, labelAngle: 0 },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    autosize: { type: "fit", contains: "padding" },
    background: "white",
    title: { text: `${title} — ${type}`, anchor: "start" },
    config: { font: CHART_FONT_FAMILY },
    layer: [
      {
        data: {
          values: data.runs
            .filter((r) => r.type === type)
            .map((r) => ({ bucket: r.bucket, status: STATUS_LABELS[r.status], runs: r.runs })),
        },
        mark: { type: "bar" },
        encoding: {
          x,
          y: {
            field: "runs",
            type: "quantitative",
            aggregate: "sum",
            axis: { title: "실행 (건)", tickMinStep: 1 },
          },
          color: {
            field: "status",
            type: "nominal",
            scale: {
              domain: Object.values(STATUS_LABELS),
              range: Object.values(STATUS_COLORS),
            },
            legend: { title: null, orient: "top" },
          },
        },
      },
      {
        data: { values: data.rates.filter((r) => r.type === type).map((r) => ({ ...r })) },
        mark: { type: "line", point: true, color: "#1d1c1d" },
        encoding: {
          x,
          y: {
            field: "rate",
            type: "quantitative",
            scale: { domain: [0, 1] },
            axis: { title: "성공률", format: ".0%", orient: "right" },
          },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  };
}

/** The SVG of one panel, laid out by Vega with no renderer attached (headless). */
async function panelSvg(spec: TopLevelSpec): Promise<string> {
  // Both are ES modules only; this CommonJS build loads them when a chart is first drawn.
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The font file the chart's text is drawn with. */
export function chartFontFile(): string {
  // The package's entry is dist/index.cjs; its OTF files are in fonts/ beside dist/.
  return path.join(
    path.dirname(require.resolve("@embedpdf/fonts-kr")),
    "..",
    "fonts",
    "NotoSansKR-Regular.otf",
  );
}

/**
 * The chart as a PNG: one panel per type that ran (in BACKUP_TYPES order), PANEL_WIDTH wide and
 * PANEL_HEIGHT × types high; a period without any run gives one panel that says so.
 */
export async function renderChartPng(data: ChartData, title: string): Promise<Buffer> {
  const panels =
    data.types.length > 0
      ? await Promise.all(data.types.map((type) => panelSvg(panelSpec(data, type, title))))
      : [emptyPanel(title)];
  const height = PANEL_HEIGHT * panels.length;
  const nested = panels
    .map((svg, i) => `<g transform="translate(0, ${i * PANEL_HEIGHT})">${svg}</g>`)
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_WIDTH}" height="${height}">${nested}</svg>`;
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "original" },
    font: { loadSystemFonts: false, fontFiles: [chartFontFile()], defaultFontFamily: CHART_FONT_FAMILY },
  });
  return resvg.render().asPng();
}

function emptyPanel(title: string): string {
  const escaped = title.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}"><text x="16" y="32" font-size="14" font-family="${CHART_FONT_FAMILY}">${escaped} — 실행 없음</text></svg>`;
}
