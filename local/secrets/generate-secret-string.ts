import { randomInt } from "node:crypto";
import { SecretsManagerError } from "./secrets-errors";

/**
 * CloudFormation's `GenerateSecretString` (AWS::SecretsManager::Secret), with Secrets Manager's
 * GetRandomPassword defaults: 32 characters from letters, digits and punctuation, at least one of each
 * included type.
 */
export interface GenerateSecretStringProps {
  SecretStringTemplate?: string;
  GenerateStringKey?: string;
  PasswordLength?: number;
  ExcludePunctuation?: boolean;
  ExcludeCharacters?: string;
  ExcludeLowercase?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeNumbers?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
}

const LOWERCASE = "abcdefghijklmnopqrstuvwxyz";
const UPPERCASE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const NUMBERS = "0123456789";
/** The punctuation set of GetRandomPassword. */
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

const DEFAULT_LENGTH = 32;
const MAX_LENGTH = 4096;

/** Reads props from a resolved template (booleans and numbers may arrive as strings). */
export function normalizeGenerateProps(raw: Record<string, unknown>): GenerateSecretStringProps {
  const bool = (key: string) => {
    const value = raw[key];
    if (value === undefined) return undefined;
    return value === true || value === "true";
  };
  const text = (key: string) => (raw[key] === undefined ? undefined : String(raw[key]));
  const props: GenerateSecretStringProps = {};
  const template = text("SecretStringTemplate");
  if (template !== undefined) props.SecretStringTemplate = template;
  const key = text("GenerateStringKey");
  if (key !== undefined) props.GenerateStringKey = key;
  if (raw.PasswordLength !== undefined) props.PasswordLength = Number(raw.PasswordLength);
  const exclude = text("ExcludeCharacters");
  if (exclude !== undefined) props.ExcludeCharacters = exclude;
  for (const flag of [
    "ExcludePunctuation",
    "ExcludeLowercase",
    "ExcludeUppercase",
    "ExcludeNumbers",
    "IncludeSpace",
    "RequireEachIncludedType",
  ] as const) {
    const value = bool(flag);
    if (value !== undefined) props[flag] = value;
  }
  return props;
}

/** The secret string CloudFormation would create: a random password, or a template with it at a key. */
export function generateSecretString(props: GenerateSecretStringProps): string {
  const hasTemplate = props.SecretStringTemplate !== undefined;
  const hasKey = props.GenerateStringKey !== undefined;
  if (hasTemplate !== hasKey) {
    throw new SecretsManagerError(
      "InvalidParameterException",
      "SecretStringTemplate and GenerateStringKey must be specified together.",
    );
  }
  const password = randomPassword(props);
  if (!hasTemplate) return password;
  let template: unknown;
  try {
    template = JSON.parse(props.SecretStringTemplate as string);
  } catch {
    throw new SecretsManagerError("InvalidParameterException", "SecretStringTemplate is not valid JSON.");
  }
  if (template === null || typeof template !== "object" || Array.isArray(template)) {
    throw new SecretsManagerError("InvalidParameterException", "SecretStringTemplate must be a JSON object.");
  }
  return JSON.stringify({
    ...(template as Record<string, unknown>),
    [props.GenerateStringKey as string]: password,
  });
}

/** Uniformly random over the allowed characters (node:crypto), with each required type present. */
export function randomPassword(props: GenerateSecretStringProps): string {
  const length = props.PasswordLength ?? DEFAULT_LENGTH;
  if (!Number.isInteger(length) || length < 1 || length > MAX_LENGTH) {
    throw new SecretsManagerError(
      "InvalidParameterException",
      `PasswordLength must be an integer from 1 to ${MAX_LENGTH}.`,
    );
  }
  const excluded = new Set(props.ExcludeCharacters ?? "");
  const keep = (set: string) => [...set].filter((c) => !excluded.has(c)).join("");
  const types = [
    props.ExcludeLowercase ? "" : keep(LOWERCASE),
    props.ExcludeUppercase ? "" : keep(UPPERCASE),
    props.ExcludeNumbers ? "" : keep(NUMBERS),
    props.ExcludePunctuation ? "" : keep(PUNCTUATION),
  ].filter((set) => set.length > 0);
  const space = props.IncludeSpace && !excluded.has(" ") ? " " : "";
  const alphabet = types.join("") + space;
  if (alphabet.length === 0) {
    throw new SecretsManagerError("InvalidParameterException", "The exclusions leave no character to use.");
  }
  const requireEach = props.RequireEachIncludedType ?? true;
  if (requireEach && length < types.length) {
    throw new SecretsManagerError(
      "InvalidParameterException",
      `PasswordLength must be at least ${types.length} to include each character type.`,
    );
  }
  const draw = (set: string) => set[randomInt(set.length)] as string;
  const complete = (chars: string[]) => types.every((set) => chars.some((c) => set.includes(c)));
  // Rejection sampling keeps the distribution uniform over the valid passwords; very short passwords with
  // many types fall back to placing one character of each type at random positions.
  for (let attempt = 0; attempt < 100; attempt++) {
    const chars = Array.from({ length }, () => draw(alphabet));
    if (!requireEach || complete(chars)) return chars.join("");
  }
  const chars = [...types.map(draw), ...Array.from({ length: length - types.length }, () => draw(alphabet))];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join("");
}
