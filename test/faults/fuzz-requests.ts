/**
 * fast-check generators of bad requests for every public and platform route: malformed JSON, wrong content
 * types, bodies over the limit, deep nesting, huge strings, every field with wrong types, unicode edge cases
 * (RTL, combining marks, emoji, NUL, lone surrogates), prototype-pollution keys, injection strings, bad and
 * missing credentials, bad signatures.
 *
 * Each request says what it may get: "refused" (a 4xx problem+json, nothing written) or "read" (a read-only
 * route: a 2xx is fine, nothing written either). Generators never build a request that the hub should accept
 * and act on (a valid complaint, a valid report on the platform's own complaint...): those belong to the
 * accepted-edge-case phase, where writes are expected.
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import type { ZodType } from "zod";
import { IDEMPOTENCY_KEY_PATTERN } from "../../shared/complaint/identity";
import { submissionRuleViolations, submissionSchema } from "../../shared/complaint/submission";
import { feedbackSchema, messageSchema, withdrawalSchema } from "../../shared/consumer/requests";
import { signWebhook, type WebhookSecrets } from "../../shared/delivery/signing";
import { inboxQuerySchema } from "../../shared/platform/inbox";
import { platformReportSchema } from "../../shared/platform/report";
import { exampleComplaint } from "../e2e/harness";

export const ROUTES = [
  "POST /v1/complaints",
  "GET /v1/complaints/{id}",
  "POST /v1/complaints/{id}/feedback",
  "POST /v1/complaints/{id}/withdraw",
  "POST /v1/complaints/{id}/messages",
  "GET /v1/stats",
  "POST /platform/v1/complaints/{id}/events",
  "GET /platform/v1/complaints",
] as const;
export type Route = (typeof ROUTES)[number];

export interface FuzzRequest {
  route: Route;
  /** Which family of bad input it belongs to (for the figures). */
  family: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** "refused": a 4xx problem+json; "read": a read-only route, 2xx/304 allowed. Nothing may be written. */
  expect: "refused" | "read";
  /** Signed requests are signed at send time (fresh webhook-id and timestamp): `sign` says how. */
  sign?: SignSpec;
}

export interface SignSpec {
  /** The platform named in `platform-id`. */
  platform: string;
  /** Whose secret signs ("own" = the named platform's). */
  secret: "own" | "other" | "random";
  /** Seconds to add to the local cloud's clock for the timestamp (expired / future). */
  skewSeconds: number;
  /** Change the body after signing. */
  tamper: boolean;
  /** Leave out one of the Standard Webhooks headers. */
  drop?: "webhook-id" | "webhook-timestamp" | "webhook-signature" | "platform-id";
}

/** The complaints the fuzzed actions aim at, created before the run. */
export interface FuzzTargets {
  /** A complaint for a pull platform (QUEUED, nobody acts on it), with its token. */
  own: { complaintId: string; trackingToken: string; platform: string };
  /** Another complaint, of another platform, and its token. */
  other: { complaintId: string; trackingToken: string; platform: string };
  /** Today in Asia/Shanghai (submission date rules). */
  today: string;
}

// ---- strings -----------------------------------------------------------------------------------------------

const INJECTIONS = [
  "' OR '1'='1",
  '"; DROP TABLE complaints; --',
  '{"$gt": ""}',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log-injection string, meant literally
  "${jndi:ldap://127.0.0.1/a}",
  "<script>alert(1)</script>",
  "{{7*7}}",
  "#{7*7}",
  "../../../../etc/passwd",
  "%00%0d%0a",
  "\r\nX-Injected: yes",
  "attribute_not_exists(pk)",
  "#pk = :pk",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "$(reboot)",
  "`id`",
  "; rm -rf /",
  "\\u0000",
];

const UNICODE_EDGES = [
  "\u202Eevil\u202C", // right-to-left override
  "שלום عربى",
  "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301",
  "Z̸̡̢͖͍̩̖̦͎̠͉̀̿̓̈́̾̉̌ä̷̱͈̘̼͓̱͚̖́̓̀l̸g̶o̴",
  "👨‍👩‍👧‍👦🏳️‍🌈🇨🇳",
  "\u0000",
  "nul\u0000inside",
  "\uFEFFbom",
  "\uFFFF\uFFFE",
  "\uD800", // lone high surrogate
  "\uDC00x", // lone low surrogate
  "\u200B\u200C\u200D\u2060",
  "\u2028\u2029",
  "\u0085next line",
  "𝕳𝖚𝖇",
  "\t\n\r\u000b\u000c",
  "中文全角　空格",
];

/** Strings that break things: unicode edges, injections, control characters, long ones. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...INJECTIONS, ...UNICODE_EDGES) },
  { weight: 8, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 8, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  {
    weight: 4,
    arbitrary: fc.string({
      unit: fc.constantFrom("\u0000", "\u001f", "\u007f", "\u202e", "a"),
      maxLength: 20,
    }),
  },
  // Long ones are rare: a few hundred per route are enough to meet every length limit.
  { weight: 1, arbitrary: fc.constantFrom(3_000, 25_000).map((length) => "长".repeat(length)) },
);

/** Any JSON value, including the shapes validators forget. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, "", [], {}, [null], { "": "" }),
  nastyString,
);

// ---- bodies ------------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** Every path (object keys and array indexes) in a JSON value. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

function setAt(root: Json, path: readonly (string | number)[], value: unknown, remove = false): Json {
  const copy = structuredClone(root);
  let target = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    // An earlier change replaced the container: this path is gone, the body stays as it is.
    if (next === null || typeof next !== "object") return copy;
    target = next as Record<string | number, unknown>;
  }
  const last = path.at(-1) as string | number;
  if (remove) {
    if (Array.isArray(target)) target.splice(Number(last), 1);
    else delete target[last];
  } else {
    Object.defineProperty(target, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A JSON text nested `depth` levels deep, as arrays or objects. */
const nested = (depth: number, kind: "array" | "object") =>
  kind === "array"
    ? `${"[".repeat(depth)}1${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** Replace `"<placeholder>"` in a JSON text with raw JSON (deep nesting cannot go through structuredClone). */
const PLACEHOLDER = "\u0001raw\u0001";

/** Ways to spoil a valid JSON object, as text. */
function spoiled(valid: Json): fc.Arbitrary<{ family: string; text: string | Buffer }> {
  const paths = pathsOf(valid);
  const path = fc.constantFrom(...(paths.length ? paths : [["x"]]));
  const json = (value: Json) => JSON.stringify(value);
  return fc.oneof(
    {
      weight: 40,
      arbitrary: fc
        .tuple(path, anyJson)
        .map(([p, v]) => ({ family: "wrong types", text: json(setAt(valid, p, v)) })),
    },
    {
      weight: 20,
      arbitrary: fc.array(fc.tuple(path, anyJson), { minLength: 2, maxLength: 5 }).map((changes) => ({
        family: "wrong types",
        text: json(changes.reduce((body, [p, v]) => setAt(body, p, v), valid)),
      })),
    },
    {
      weight: 20,
      arbitrary: path.map((p) => ({
        family: "missing fields",
        text: json(setAt(valid, p, undefined, true)),
      })),
    },
    {
      weight: 20,
      arbitrary: fc
        .tuple(
          fc.constantFrom<(string | number)[]>([], ...paths.filter((p) => typeof p.at(-1) === "string")),
          fc.constantFrom("__proto__", "constructor", "prototype", "__defineGetter__", "hasOwnProperty"),
          fc.constantFrom<unknown>({ polluted: true }, { prototype: { polluted: true } }, "x", null),
        )
        .map(([p, key, value]) => {
          // Written as text: a JS object cannot hold an own "__proto__" built the ordinary way.
          const at = p.length === 0 ? valid : setAt(valid, p, { [PLACEHOLDER]: 1 });
          const text = json(at).replace(
            p.length === 0 ? /^\{/ : `{"${PLACEHOLDER}":1}`,
            p.length === 0
              ? `{${JSON.stringify(key)}:${JSON.stringify(value)},`
              : `{${JSON.stringify(key)}:${JSON.stringify(value)}}`,
          );
          return { family: "prototype-pollution keys", text };
        }),
    },
    {
      weight: 20,
      arbitrary: fc
        .tuple(path, nastyString)
        .map(([p, s]) => ({ family: "unicode and injection strings", text: json(setAt(valid, p, s)) })),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          path,
          fc.constantFrom(50, 1_000, 10_000),
          fc.constantFrom<"array" | "object">("array", "object"),
        )
        .map(([p, depth, kind]) => ({
          family: "deep nesting",
          text: json(setAt(valid, p, PLACEHOLDER)).replace(`"${PLACEHOLDER}"`, nested(depth, kind)),
        })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(100_000, 500_000).map((depth) => ({
        family: "deep nesting",
        text: nested(depth, "array"),
      })),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(path, fc.constantFrom(66_000, 66_000, 66_000, 200_000, 1_100_000))
        .map(([p, size]) => ({ family: "huge strings", text: json(setAt(valid, p, "x".repeat(size))) })),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(fc.nat({ max: 400 }), fc.string({ maxLength: 5 }))
        .map(([cut, tail]) => ({ family: "malformed JSON", text: json(valid).slice(0, cut) + tail })),
    },
    {
      weight: 10,
      arbitrary: fc
        .constantFrom(
          "",
          " ",
          "{",
          "}",
          "null",
          "[]",
          "[{}]",
          '"a string"',
          "1e999",
          "NaN",
          "undefined",
          "{'single': 'quotes'}",
          '{"a":1,}',
          '{"a":1}{"b":2}',
          '{"a":1} trailing',
          "\uFEFF{}",
          '{"a":"\\ud800"}',
          '{"a":"\\x41"}',
          "<xml/>",
          "a=1&b=2",
        )
        .map((text) => ({ family: "malformed JSON", text })),
    },
    {
      weight: 5,
      arbitrary: fc
        .constantFrom(
          Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
          Buffer.from([0xc3, 0x28, 0xa0, 0xa1]),
          Buffer.from('{"title":"\xff\xfe"}', "latin1"),
          Buffer.from(JSON.stringify(valid), "utf16le"),
        )
        .map((text) => ({ family: "malformed JSON", text })),
    },
  );
}

/** Content types: mostly JSON, sometimes what a confused client sends. */
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/json; charset=utf-16",
      "APPLICATION/JSON",
      "application/problem+json",
      "*/*",
      "",
      "json",
      "application/json\u0000",
    ),
  },
  { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
);

const JSON_MEDIA = /^application\/(.+\+)?json\s*($|;.+)/i;
/** Whether the function would read this body as JSON (and what it would read). */
function parsedBody(
  body: string | Buffer | undefined,
  type: string | undefined,
): { ok: boolean; value?: unknown } {
  if (type === undefined || !JSON_MEDIA.test(type)) return { ok: false };
  const text = body === undefined ? "" : body.toString();
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const accepts = (schema: ZodType, body: string | Buffer | undefined, type: string | undefined) => {
  const parsed = parsedBody(body, type);
  return parsed.ok && schema.safeParse(parsed.value).success;
};

// ---- credentials -------------------------------------------------------------------------------------------

const malformedToken = fc.oneof(
  fc.constantFrom(
    "",
    "Bearer",
    "Bearer ",
    "bearer x",
    "Basic dXNlcjpwYXNz",
    "Bearer ' OR 1=1 --",
    "Token abc",
  ),
  nastyString.map((s) => `Bearer ${s}`),
  fc.string({ unit: "binary-ascii", maxLength: 200 }),
);
/** A well-formed token that opens nothing. */
const wrongToken = fc
  .string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    minLength: 16,
    maxLength: 128,
  })
  .map((t) => `Bearer ${t}`);

const complaintIdLike = fc.oneof(
  fc.stringMatching(/^CH[0-9A-HJKMNP-TV-Z]{20}$/),
  fc.constantFrom(
    "CH",
    "CH00000000000000000000",
    "ch0123456789abcdefghjk",
    "..",
    "%2e%2e",
    "null",
    "undefined",
  ),
  nastyString.map((s) => percentEncode(s.slice(0, 200)) || "x"),
);

/**
 * Methods a route does not serve. (A made-up method token never reaches the gateway locally: Node's HTTP parser
 * refuses it first. OPTIONS is the CORS preflight, answered by the gateway's MOCK integration: a read.)
 */
const ODD_METHODS = ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
const expectFor = (method: string, usual: FuzzRequest["expect"]): FuzzRequest["expect"] =>
  method === "OPTIONS" ? "read" : usual;

// ---- routes ------------------------------------------------------------------------------------------------

type Arbitraries = Record<Route, fc.Arbitrary<FuzzRequest>>;

/** One arbitrary of bad requests per route. */
export function badRequests(targets: FuzzTargets): Arbitraries {
  const submission = exampleComplaint();
  const feedback: Json = { decision: "accept", comment: "OK" };
  const withdrawal: Json = { reason: "Settled with the seller directly" };
  const message: Json = {
    text: "The seller called me.",
    evidence: [{ url: "https://evidence.example.com/1.jpg" }],
  };
  const report: Json = { eventId: "evt-1", type: "ACK", occurredAt: new Date().toISOString() };

  const body = (valid: Json) =>
    fc.oneof(
      { weight: 12, arbitrary: spoiled(valid) },
      {
        weight: 1,
        arbitrary: fc.constant({ family: "valid shape", text: JSON.stringify(valid) as string | Buffer }),
      },
    );

  const submit: fc.Arbitrary<FuzzRequest> = fc
    .record({
      body: body(submission),
      type: contentType,
      // As sent: a key that cannot travel in a header is percent-encoded first.
      key: fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined).map(() => `fuzz-${randomUUID()}`) },
        { weight: 1, arbitrary: fc.constant<string | undefined>(undefined) },
        { weight: 2, arbitrary: nastyString.map(headerSafe) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom("short", "x".repeat(256), "with space inside", "ключ-ключ-ключ")
            .map(headerSafe),
        },
      ),
    })
    .filter(({ body: b, type, key }) => {
      // Never a complaint the hub should accept: invalid body, content type or key.
      if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) return true;
      if (!accepts(submissionSchema, b.text, type)) return true;
      const value = submissionSchema.parse(parsedBody(b.text, type).value);
      return submissionRuleViolations(value, targets.today).length > 0;
    })
    .map(
      ({ body: b, type, key }): FuzzRequest => ({
        route: "POST /v1/complaints",
        family: key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key) ? "bad Idempotency-Key" : b.family,
        method: "POST",
        path: "/v1/complaints",
        headers: {
          ...(type !== undefined ? { "content-type": type } : {}),
          ...(key !== undefined ? { "idempotency-key": key } : {}),
        },
        body: b.text,
        expect: "refused",
      }),
    );

  const tokenFor = (which: "none" | "malformed" | "wrong" | "right" | "other") =>
    which === "none"
      ? fc.constant(undefined)
      : which === "malformed"
        ? malformedToken
        : which === "wrong"
          ? wrongToken
          : fc.constant(
              `Bearer ${which === "right" ? targets.own.trackingToken : targets.other.trackingToken}`,
            );
  const credentials = fc
    .constantFrom<"none" | "malformed" | "wrong" | "right" | "other">(
      "none",
      "malformed",
      "wrong",
      "right",
      "right",
      "other",
    )
    .chain((which) => tokenFor(which).map((authorization) => ({ which, authorization })));
  const idFor = fc.oneof(
    { weight: 4, arbitrary: fc.constant(targets.own.complaintId) },
    { weight: 1, arbitrary: fc.constant(targets.other.complaintId) },
    { weight: 2, arbitrary: complaintIdLike },
  );

  const get: fc.Arbitrary<FuzzRequest> = fc
    .record({
      id: idFor,
      credentials,
      method: fc.constantFrom("GET", "GET", "GET", "GET", ...ODD_METHODS),
      query: fc.option(nastyString),
    })
    .map(
      ({ id, credentials: c, method, query }): FuzzRequest => ({
        route: "GET /v1/complaints/{id}",
        family: method !== "GET" ? "other methods" : `token: ${c.which}`,
        method,
        path: bounded(`/v1/complaints/${id}${query ? `?q=${percentEncode(query.slice(0, 500))}` : ""}`),
        headers: c.authorization !== undefined ? { authorization: headerSafe(c.authorization) } : {},
        expect: "read",
      }),
    );

  const action = (
    route: Route,
    segment: string,
    valid: Json,
    schema: ZodType,
    /** Whether a valid body with the right token would change the complaint (then it is never generated). */
    writes: boolean,
  ): fc.Arbitrary<FuzzRequest> =>
    fc
      .record({
        id: idFor,
        credentials,
        body: fc.option(body(valid), { freq: 8 }),
        type: contentType,
        method: fc.constantFrom("POST", "POST", "POST", "POST", "POST", ...ODD_METHODS),
      })
      .filter(({ id, credentials: c, body: b, type, method }) => {
        if (method !== "POST" || !writes) return true;
        const opens =
          (id === targets.own.complaintId && c.which === "right") ||
          (id === targets.other.complaintId && c.which === "other");
        if (!opens) return true;
        // The right token on the right complaint: only bodies the function refuses.
        const text = b?.text;
        // A blank body is no body (the withdrawal's may be left out).
        if (text === undefined || text.toString().trim() === "")
          return route !== "POST /v1/complaints/{id}/withdraw";
        return !accepts(schema, text, type);
      })
      .map(
        ({ id, credentials: c, body: b, type, method }): FuzzRequest => ({
          route,
          family: method !== "POST" ? "other methods" : b ? b.family : "no body",
          method,
          path: bounded(`/v1/complaints/${id}/${segment}`),
          headers: {
            ...(c.authorization !== undefined ? { authorization: headerSafe(c.authorization) } : {}),
            ...(type !== undefined ? { "content-type": type } : {}),
          },
          ...(b ? { body: b.text } : {}),
          expect: expectFor(method, "refused"),
        }),
      );

  const stats: fc.Arbitrary<FuzzRequest> = fc
    .record({
      query: fc.option(fc.array(fc.tuple(nastyString, nastyString), { maxLength: 4 })),
      etag: fc.option(fc.oneof(nastyString, fc.constantFrom('"abc"', "*", 'W/"x"', '"'.repeat(2000)))),
      accept: fc.option(fc.constantFrom("application/json", "text/html", "*/*", "application/xml", "\u0000")),
      method: fc.constantFrom("GET", "GET", "GET", "GET", ...ODD_METHODS, "POST"),
    })
    .map(
      ({ query, etag, accept, method }): FuzzRequest => ({
        route: "GET /v1/stats",
        family:
          method !== "GET"
            ? "other methods"
            : etag
              ? "conditional requests"
              : query
                ? "query strings"
                : "plain",
        method,
        path: bounded(
          `/v1/stats${query ? `?${query.map(([k, v]) => `${percentEncode(k.slice(0, 200))}=${percentEncode(v.slice(0, 2000))}`).join("&")}` : ""}`,
        ),
        headers: {
          ...(etag ? { "if-none-match": headerSafe(etag) } : {}),
          ...(accept ? { accept: headerSafe(accept) } : {}),
        },
        expect: "read",
      }),
    );

  const signSpec = (platform: string) =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constant<SignSpec>({ platform, secret: "own", skewSeconds: 0, tamper: false }),
      },
      {
        weight: 4,
        arbitrary: fc
          .record({
            platform: fc.oneof(
              fc.constant(platform),
              fc.constantFrom("taobao", "nope", "JD", "jd ", ""),
              nastyString,
            ),
            secret: fc.constantFrom<SignSpec["secret"]>("own", "other", "random"),
            skewSeconds: fc.constantFrom(0, 0, -301, 301, -86_400, 10 ** 9),
            tamper: fc.boolean(),
            drop: fc.option(
              fc.constantFrom<NonNullable<SignSpec["drop"]>>(
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
                "platform-id",
              ),
              { nil: undefined },
            ),
          })
          .map(({ drop, ...rest }): SignSpec => ({ ...rest, ...(drop ? { drop } : {}) })),
      },
      { weight: 1, arbitrary: fc.constant<SignSpec | undefined>(undefined) },
    );
  const authentic = (s: SignSpec | undefined, platform: string) =>
    s !== undefined &&
    s.platform === platform &&
    s.secret === "own" &&
    s.skewSeconds === 0 &&
    !s.tamper &&
    !s.drop;

  const reportBody = fc.oneof(
    { weight: 6, arbitrary: body(report) },
    {
      weight: 2,
      arbitrary: fc
        .record({
          type: fc.constantFrom("RESOLVED", "REDIRECT", "PROPOSAL", "INCORRECT_PLATFORM"),
          extra: fc.constantFrom<Json>(
            {},
            { relief: { type: "refund", amountFen: 100 } },
            { redirectTo: "taobao" },
            { redirectTo: "jd" },
            { relief: { type: "refund", amountFen: -1 } },
          ),
        })
        .map(({ type, extra }) => ({
          family: "reports the lifecycle or the rules refuse",
          text: JSON.stringify({ ...report, eventId: `evt-${randomUUID()}`, type, ...extra }) as
            | string
            | Buffer,
        })),
    },
  );
  const events: fc.Arbitrary<FuzzRequest> = fc
    .record({
      id: idFor,
      body: reportBody,
      type: contentType,
      sign: signSpec(targets.own.platform),
      method: fc.constantFrom("POST", "POST", "POST", "POST", "POST", ...ODD_METHODS),
    })
    .filter(({ id, body: b, sign, method }) => {
      if (method !== "POST" || !authentic(sign, targets.own.platform) || id !== targets.own.complaintId)
        return true;
      // Signed by the complaint's own platform: only reports the hub refuses, never one it would act on. The
      // report function reads the signed bytes whatever the content type says.
      return !accepts(platformReportSchema, b.text, "application/json");
    })
    .map(
      ({ id, body: b, type, sign, method }): FuzzRequest => ({
        route: "POST /platform/v1/complaints/{id}/events",
        family:
          method !== "POST"
            ? "other methods"
            : !authentic(sign, targets.own.platform)
              ? "bad or missing signature"
              : id !== targets.own.complaintId
                ? `signed, ${b.family}, another platform's or no complaint`
                : `signed, ${b.family}`,
        method,
        path: bounded(`/platform/v1/complaints/${id}/events`),
        headers: type !== undefined ? { "content-type": type } : {},
        body: b.text,
        expect: expectFor(method, "refused"),
        ...(sign ? { sign } : {}),
      }),
    );

  const inboxQuery = fc.oneof(
    fc.record(
      {
        status: fc.oneof(fc.constantFrom("QUEUED", "DELIVERED", "queued", "NOPE"), nastyString),
        since: fc.oneof(fc.constantFrom("2026-01-01T00:00:00Z", "yesterday", "9999-99-99"), nastyString),
        limit: fc.oneof(fc.constantFrom("1", "0", "-1", "101", "1e3", "25.5", "0x10"), nastyString),
        cursor: fc.oneof(fc.base64String({ maxLength: 200 }), nastyString, fc.constant("x".repeat(3000))),
        extra: nastyString,
      },
      { requiredKeys: [] },
    ),
  );
  const inbox: fc.Arbitrary<FuzzRequest> = fc
    .record({
      query: inboxQuery,
      sign: signSpec(targets.own.platform),
      method: fc.constantFrom("GET", "GET", "GET", "GET", ...ODD_METHODS),
    })
    .map(({ query, sign, method }): FuzzRequest => {
      const valid = inboxQuerySchema.safeParse(query).success;
      return {
        route: "GET /platform/v1/complaints",
        family:
          method !== "GET"
            ? "other methods"
            : !authentic(sign, targets.own.platform)
              ? "bad or missing signature"
              : valid
                ? "signed, valid query"
                : "signed, bad query",
        method,
        path: bounded(
          `/platform/v1/complaints${
            Object.keys(query).length
              ? `?${Object.entries(query)
                  .map(([k, v]) => `${percentEncode(k)}=${percentEncode(String(v).slice(0, 3000))}`)
                  .join("&")}`
              : ""
          }`,
        ),
        headers: {},
        expect: "read",
        ...(sign ? { sign } : {}),
      };
    });

  return {
    "POST /v1/complaints": submit,
    "GET /v1/complaints/{id}": get,
    "POST /v1/complaints/{id}/feedback": action(
      "POST /v1/complaints/{id}/feedback",
      "feedback",
      feedback,
      feedbackSchema,
      // The fuzzed complaint is QUEUED: feedback is refused by the lifecycle (409) even when valid.
      false,
    ),
    "POST /v1/complaints/{id}/withdraw": action(
      "POST /v1/complaints/{id}/withdraw",
      "withdraw",
      withdrawal,
      withdrawalSchema,
      true,
    ),
    "POST /v1/complaints/{id}/messages": action(
      "POST /v1/complaints/{id}/messages",
      "messages",
      message,
      messageSchema,
      true,
    ),
    "GET /v1/stats": stats,
    "POST /platform/v1/complaints/{id}/events": events,
    "GET /platform/v1/complaints": inbox,
  };
}

/**
 * URLs are cut at 8,000 characters (a REST API takes up to 10,240; Node's 16 KiB header block, which the request
 * line shares, would answer 431 itself). A cut may split a percent escape: malformed escapes are fuzz too.
 */
const bounded = (path: string) => path.slice(0, 8_000);

/** Header values stay under Node's 16 KiB header block (past it, Node's HTTP parser answers 431 itself). */
const MAX_HEADER_CHARS = 4_000;

/**
 * Header values travel as latin1 bytes without control characters or surrounding blanks: what cannot be sent
 * as a header value is percent-encoded, and long ones are cut.
 */
export function headerSafe(value: string): string {
  const sendable = /^[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?$/.test(value);
  return (sendable ? value : percentEncode(value)).slice(0, MAX_HEADER_CHARS);
}

/** encodeURIComponent for any string: UTF-8 bytes (a lone surrogate as U+FFFD), unreserved characters kept. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/gu, "\uFFFD"));
}

/** The headers of a signed platform request, as `spec` says (wrong secret, skewed, tampered, missing...). */
export function signedHeaders(
  spec: SignSpec,
  body: string | Buffer | undefined,
  secrets: { own: WebhookSecrets; other: WebhookSecrets },
  now: Date,
): { headers: Record<string, string>; body: string | Buffer | undefined } {
  const payload = body === undefined ? "" : body.toString();
  const secret =
    spec.secret === "own"
      ? secrets.own
      : spec.secret === "other"
        ? secrets.other
        : { current: Buffer.from(randomUUID()).toString("base64") };
  const headers: Record<string, string> = {
    "platform-id": headerSafe(spec.platform),
    ...signWebhook(secret, `msg_${randomUUID()}`, new Date(now.getTime() + spec.skewSeconds * 1000), payload),
  };
  if (spec.drop) delete headers[spec.drop];
  return { headers, body: spec.tamper ? `${payload} ` : body };
}
