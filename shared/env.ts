/** Reads a required environment variable once at cold start; a missing one is a deployment bug. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

export function numberEnv(name: string): number {
  const value = Number(requireEnv(name));
  if (!Number.isFinite(value)) throw new Error(`Environment variable ${name} is not a number`);
  return value;
}
