/**
 * "Now" for a scheduled run is the time of the Scheduled Event that started it: a run that starts late, or one
 * replayed against a controlled clock (the local cloud's tests), decides as of the moment it was scheduled for.
 */
export function scheduledTime(event: { time?: string }, fallback: () => Date = () => new Date()): Date {
  const time = event.time ? new Date(event.time) : undefined;
  return time && !Number.isNaN(time.getTime()) ? time : fallback();
}
