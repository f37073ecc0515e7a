/**
 * A value kept for `ttlMs` in the function instance, so a burst of requests reads the table once. Concurrent
 * callers of an expired value share one load; a failed load is not kept.
 */
export function cachedFor<T>(ttlMs: number, load: () => Promise<T>, now: () => number = Date.now) {
  let current: { value: Promise<T>; until: number } | undefined;
  return (): Promise<T> => {
    const at = now();
    if (current && at < current.until) return current.value;
    const value = load();
    const entry = { value, until: at + ttlMs };
    current = entry;
    value.catch(() => {
      if (current === entry) current = undefined;
    });
    return value;
  };
}
