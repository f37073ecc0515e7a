/**
 * `stats [--csv]`: the public statistics as `GET /v1/stats` publishes them (small cells suppressed), and the
 * association's internal figures per platform: unsuppressed, with the counts behind the on-time rate and the
 * median first-response time. `--csv` prints the internal figures as CSV (one row per platform).
 */
import { PLATFORMS } from "../../infra/platforms";
import { type InternalPlatformFigures, internalFigures } from "../../shared/stats/internal-figures";
import { buildStatsReport } from "../../shared/stats/report";
import { StatsStore } from "../../shared/stats/stats-store";
import type { OpsContext } from "../context";
import { csvRow } from "../output";

const CSV_COLUMNS: [string, (f: InternalPlatformFigures) => string | number | null][] = [
  ["platform", (f) => f.platform],
  ["name", (f) => f.name],
  ["received", (f) => f.received],
  ["delivered", (f) => f.delivered],
  ["answered_on_time", (f) => f.counts.answeredOnTime],
  ["answered_late", (f) => f.counts.answeredLate],
  ["overdue", (f) => f.counts.overdue],
  ["on_time_response_rate", (f) => f.onTimeResponseRate],
  ["first_responses", (f) => f.counts.firstResponse],
  ["median_first_response_hours", (f) => f.medianFirstResponseHours],
  ["closed", (f) => f.counts.closed],
  ["settled", (f) => f.counts.settled],
  ["settlement_rate", (f) => f.settlementRate],
  ["withdrawn", (f) => f.counts.withdrawn],
];

export async function statsCommand(context: OpsContext, options: { csv?: boolean }): Promise<number> {
  const target = await context.target();
  const cells = await new StatsStore(target.dynamodb, target.output("TableName")).readCells();
  const internal = internalFigures(cells, PLATFORMS);
  const out = context.out;
  if (options.csv) {
    out.io.stdout.write(`${csvRow(CSV_COLUMNS.map(([name]) => name))}\n`);
    for (const row of internal)
      out.io.stdout.write(`${csvRow(CSV_COLUMNS.map(([, value]) => value(row)))}\n`);
    return 0;
  }
  const report = buildStatsReport(cells, PLATFORMS, context.now());
  const c = out.colors;
  const percent = (rate: number | null) => (rate === null ? undefined : `${(rate * 100).toFixed(1)}%`);
  out.result({ public: report, internal }, () => {
    out.line(c.bold("Public statistics (GET /v1/stats: cells under 5 complaints suppressed)"));
    out.table(report.platforms, [
      { header: "PLATFORM", value: (p) => p.platform },
      {
        header: "RECEIVED",
        value: (p) => (p.total.suppressed ? "suppressed" : p.total.received),
        align: "right",
      },
      {
        header: "DELIVERED",
        value: (p) => (p.total.suppressed ? undefined : p.total.delivered),
        align: "right",
      },
      {
        header: "ON TIME",
        value: (p) => (p.total.suppressed ? undefined : percent(p.total.onTimeResponseRate)),
        align: "right",
      },
      {
        header: "SETTLED",
        value: (p) => (p.total.suppressed ? undefined : percent(p.total.settlementRate)),
        align: "right",
      },
      {
        header: "MEDIAN 1ST H",
        value: (p) => (p.total.suppressed ? undefined : p.total.medianFirstResponseHours),
        align: "right",
      },
    ]);
    out.line();
    out.line(c.bold("Internal figures (unsuppressed; not for publication)"));
    out.table(internal, [
      { header: "PLATFORM", value: (f) => f.platform },
      { header: "RECEIVED", value: (f) => f.received, align: "right" },
      { header: "DELIVERED", value: (f) => f.delivered, align: "right" },
      { header: "ON TIME", value: (f) => f.counts.answeredOnTime, align: "right" },
      { header: "LATE", value: (f) => f.counts.answeredLate, align: "right" },
      { header: "OVERDUE", value: (f) => f.counts.overdue, align: "right" },
      {
        header: "ON-TIME RATE",
        value: (f) => percent(f.onTimeResponseRate),
        align: "right",
        color: (t, f) => (f.onTimeResponseRate !== null && f.onTimeResponseRate < 0.8 ? c.red(t) : t),
      },
      { header: "MEDIAN 1ST H", value: (f) => f.medianFirstResponseHours, align: "right" },
      { header: "CLOSED", value: (f) => f.counts.closed, align: "right" },
      { header: "SETTLED", value: (f) => percent(f.settlementRate), align: "right" },
    ]);
  });
  return 0;
}
