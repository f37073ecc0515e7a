import { findPlatform, responseDeadlineWorkingDays } from "../../infra/platforms";
import { addWorkingDays } from "../calendar/working-days";
import type { Deadlines } from "./record";

/** The platform's response window, counted in Chinese working days from `from` (delivery, or submission as an estimate). */
export function platformResponseDeadline(
  platformId: string,
  urgent: boolean,
  from: Date,
  basis: Deadlines["basis"],
): Deadlines {
  const responseWorkingDays = responseDeadlineWorkingDays(findPlatform(platformId), urgent);
  return {
    platformResponseDueBy: addWorkingDays(from, responseWorkingDays).toISOString(),
    responseWorkingDays,
    basis,
  };
}
