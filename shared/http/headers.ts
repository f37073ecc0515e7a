/** API Gateway passes header names as the client sent them; HTTP says they are case-insensitive. */
export function headerValue(
  headers: Record<string, string | undefined> | null,
  name: string,
): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
