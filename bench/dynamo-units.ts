/**
 * DynamoDB capacity arithmetic for the cost model: item sizes as DynamoDB counts them (dynalite's
 * implementation of the documented rules), request units per request, and an estimate of the write units a
 * write costs in the table's global secondary indexes (which the local DynamoDB does not report).
 */
import { createRequire } from "node:module";

// biome-ignore lint/suspicious/noExplicitAny: DynamoDB attribute values in the wire format
export type AttributeMap = Record<string, any>;

const dynaliteDb = createRequire(import.meta.url)("dynalite/db") as { itemSize(item: AttributeMap): number };

/** Bytes of an item (wire format) as DynamoDB sizes it: attribute names plus values. */
export function dynamoItemBytes(item: AttributeMap): number {
  return dynaliteDb.itemSize(item);
}

/** Write request units of one write of an item of `bytes` (1 per KB, rounded up). */
export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1024));
}

/** Read request units of one read of `bytes` (1 per 4 KB rounded up; half for eventually consistent). */
export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return consistent ? units : units / 2;
}

export interface IndexModel {
  name: string;
  /** Partition and sort key attribute names. */
  keys: string[];
  /** Non-key attributes projected (INCLUDE); "ALL" for every attribute. */
  projected: string[] | "ALL";
}

/**
 * Top-level attribute names an update expression sets or removes (`#a.#b` changes `a`), resolved through
 * ExpressionAttributeNames.
 */
export function updatedAttributes(expression: string, names: Record<string, string> = {}): Set<string> {
  const touched = new Set<string>();
  // Tokens that start a path: a placeholder or a name not preceded by "." (and not a value placeholder ":v").
  const token = /(^|[^.#:\w])(#?[A-Za-z_][\w]*)/g;
  const keywords = new Set(["SET", "REMOVE", "ADD", "DELETE", "if_not_exists", "list_append"]);
  for (const match of expression.matchAll(token)) {
    const word = match[2] as string;
    if (keywords.has(word) || keywords.has(word.toUpperCase())) continue;
    touched.add(word.startsWith("#") ? (names[word] ?? word) : word);
  }
  return touched;
}

/**
 * Estimated index write units of one write (upper bound; projections are assumed under 1 KB unless the item
 * shows otherwise):
 * - a new item (PutItem) in an index (it has the index's keys): 1 per index, more for a large projection;
 * - an update that sets an index key: 2 (the old index entry is deleted, a new one written);
 * - an update that sets a projected attribute: 1;
 * - a delete: 1 per index.
 * An update cannot tell whether the item is in an index at all, so it is assumed to be.
 */
export function indexWriteUnits(
  operation: "PutItem" | "UpdateItem" | "DeleteItem",
  // biome-ignore lint/suspicious/noExplicitAny: the request as sent
  input: any,
  indexes: readonly IndexModel[],
): number {
  let units = 0;
  for (const index of indexes) {
    if (operation === "DeleteItem") {
      units += 1;
      continue;
    }
    if (operation === "PutItem") {
      const item = (input?.Item ?? {}) as AttributeMap;
      if (!index.keys.every((key) => key in item)) continue;
      const projected: AttributeMap = {};
      for (const [name, value] of Object.entries(item)) {
        if (index.projected === "ALL" || index.keys.includes(name) || index.projected.includes(name))
          projected[name] = value;
      }
      units += writeUnits(dynamoItemBytes(projected));
      continue;
    }
    const touched = updatedAttributes(String(input?.UpdateExpression ?? ""), input?.ExpressionAttributeNames);
    if (index.keys.some((key) => touched.has(key))) units += 2;
    else if (index.projected === "ALL" || index.projected.some((name) => touched.has(name))) units += 1;
  }
  return units;
}
