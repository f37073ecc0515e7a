/**
 * China's statutory holidays and make-up working days (调休), 2016–2027.
 *
 * Source: holiday-cn by NateScarlet (https://github.com/NateScarlet/holiday-cn), MIT licence — see
 * holiday-cn/LICENSE. It is compiled from the State Council's annual holiday notices, which each file
 * lists under `papers`. The files are kept verbatim and imported statically so that esbuild bundles
 * them into every Lambda function that needs them. To add a year, copy its file into holiday-cn/ and
 * import it below; a year whose file is missing or has no days falls back to Monday–Friday.
 */
import y2016 from "./holiday-cn/2016.json" with { type: "json" };
import y2017 from "./holiday-cn/2017.json" with { type: "json" };
import y2018 from "./holiday-cn/2018.json" with { type: "json" };
import y2019 from "./holiday-cn/2019.json" with { type: "json" };
import y2020 from "./holiday-cn/2020.json" with { type: "json" };
import y2021 from "./holiday-cn/2021.json" with { type: "json" };
import y2022 from "./holiday-cn/2022.json" with { type: "json" };
import y2023 from "./holiday-cn/2023.json" with { type: "json" };
import y2024 from "./holiday-cn/2024.json" with { type: "json" };
import y2025 from "./holiday-cn/2025.json" with { type: "json" };
import y2026 from "./holiday-cn/2026.json" with { type: "json" };
import y2027 from "./holiday-cn/2027.json" with { type: "json" };

interface HolidayFile {
  year: number;
  days: readonly { date: string; isOffDay: boolean }[];
}

export interface YearCalendar {
  /** Days off (YYYY-MM-DD). The data also lists the weekend days inside a holiday, which changes nothing. */
  offDays: ReadonlySet<string>;
  /** Weekend days that are worked (调休). 2020-02-03, a Monday, is also listed; it is a working day either way. */
  workedWeekendDays: ReadonlySet<string>;
  /** Whether that year's notice is in the data. If it is not, Monday–Friday are taken as the working days. */
  published: boolean;
}

const FILES: readonly HolidayFile[] = [
  y2016,
  y2017,
  y2018,
  y2019,
  y2020,
  y2021,
  y2022,
  y2023,
  y2024,
  y2025,
  y2026,
  y2027,
];

function buildCalendar(files: readonly HolidayFile[]): ReadonlyMap<number, YearCalendar> {
  const years = new Map<
    number,
    { offDays: Set<string>; workedWeekendDays: Set<string>; published: boolean }
  >();
  const yearCalendar = (year: number) => {
    let calendar = years.get(year);
    if (!calendar) {
      calendar = { offDays: new Set(), workedWeekendDays: new Set(), published: false };
      years.set(year, calendar);
    }
    return calendar;
  };
  for (const file of files) {
    if (file.days.length > 0) yearCalendar(file.year).published = true;
    for (const day of file.days) {
      // A notice can reach back into the previous year (2019.json holds 2018-12-29…31, 2023.json holds
      // 2022-12-31), so each day is filed under its own year, not under the file's.
      const calendar = yearCalendar(Number(day.date.slice(0, 4)));
      (day.isOffDay ? calendar.offDays : calendar.workedWeekendDays).add(day.date);
    }
  }
  return years;
}

/** Year → that year's holidays and worked weekend days, with all files merged. */
export const HOLIDAY_CALENDAR: ReadonlyMap<number, YearCalendar> = buildCalendar(FILES);
