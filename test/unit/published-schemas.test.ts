import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSchemas, SCHEMA_DIR } from "../../scripts/generate-schemas";

describe("published JSON Schemas", () => {
  it.each(Object.entries(renderSchemas()))(
    "docs/schemas/%s is up to date (npm run docs:schemas)",
    (file, text) => {
      expect(readFileSync(`${SCHEMA_DIR}${file}`, "utf8")).toBe(text);
    },
  );
});
