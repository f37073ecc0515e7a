/**
 * Writes the published JSON Schemas (docs/schemas/*.json) from the zod schemas in shared/events/contract.ts.
 * `npm run docs:schemas` regenerates them; a test fails when they are out of date.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as z from "zod";
import { PUBLISHED_SCHEMAS } from "../shared/events/contract";

export const SCHEMA_DIR = fileURLToPath(new URL("../docs/schemas/", import.meta.url));

export function renderSchemas(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(PUBLISHED_SCHEMAS).map(([name, schema]) => {
      const json = {
        $id: `urn:complaint-hub:schema:${name}`,
        ...z.toJSONSchema(schema, { target: "draft-2020-12" }),
      };
      return [`${name}.json`, `${JSON.stringify(json, null, 2)}\n`];
    }),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of Object.entries(renderSchemas())) writeFileSync(`${SCHEMA_DIR}${file}`, text);
  console.log(`Wrote ${Object.keys(PUBLISHED_SCHEMAS).length} schemas to docs/schemas/`);
}
