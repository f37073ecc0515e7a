/**
 * How tools find a running local cloud: `npm start` writes `<state-dir>/<stage>/endpoints.json` once it serves,
 * and removes it when it stops. The ops CLI (`npm run ops -- --local`) reads it. No secrets in it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const ENDPOINTS_FILE = "endpoints.json";

export interface LocalEndpoints {
  stage: string;
  /** The process serving them: a file left by a local cloud that died is recognised as stale. */
  pid: number;
  awsEndpoint: string;
  apiUrl: string;
  sandboxUrl: string;
  region: string;
  accountId: string;
  /** The stack outputs, resolved to local values (queue URLs, table name, ...). */
  outputs: Record<string, string>;
}

/** Writes the file into the stage's data folder; returns its path. */
export function writeEndpointsFile(dataDir: string, endpoints: LocalEndpoints): string {
  const file = join(dataDir, ENDPOINTS_FILE);
  writeFileSync(file, `${JSON.stringify(endpoints, null, 2)}\n`);
  return file;
}
