import { getSecret } from "@aws-lambda-powertools/parameters/secrets";

/** Secrets are read from Secrets Manager and cached briefly, so a rotation reaches warm functions within minutes. */
export async function secretString(secretId: string, maxAgeSeconds = 300): Promise<string> {
  const value = await getSecret(secretId, { maxAge: maxAgeSeconds });
  if (typeof value !== "string" || value.length === 0) throw new Error("Secret has no string value");
  return value;
}
