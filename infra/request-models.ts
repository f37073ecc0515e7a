import type { JsonSchema } from "aws-cdk-lib/aws-apigateway";
import { JsonSchemaVersion } from "aws-cdk-lib/aws-apigateway";
import * as z from "zod";

/**
 * API Gateway request models from the same zod schemas the functions validate with (draft-04, which is what
 * API Gateway speaks), so the two can never disagree.
 */
export function apiGatewayModel(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, {
    target: "draft-04",
    io: "input",
  }) as Record<string, unknown>;
  return { schema: JsonSchemaVersion.DRAFT4, ...(renameKeywords(jsonSchema) as object) } as JsonSchema;
}

/** CDK's JsonSchema spells `$ref` as `ref`; everything else is the JSON Schema keyword as is. */
function renameKeywords(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(renameKeywords);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key === "$ref" ? "ref" : key,
        key === "properties" ? mapValues(v) : renameKeywords(v),
      ]),
    );
  }
  return value;
}

/** Property names are data, not keywords: only their schemas are mapped. */
function mapValues(properties: unknown): unknown {
  return Object.fromEntries(
    Object.entries(properties as object).map(([name, s]) => [name, renameKeywords(s)]),
  );
}
