import { describe, expect, it } from "vitest";
import { apiGatewayModel } from "../../infra/request-models";
import {
  DEMANDS,
  GOODS_DOMAINS,
  ISSUE_NATURES,
  isUrgent,
  MAX_SUBMISSION_BYTES,
  SERVICE_DOMAINS,
  type Submission,
  submissionRuleViolations,
  submissionSchema,
} from "../../shared/complaint/submission";
import { submitComplaint } from "../../shared/complaint/submit-complaint";
import { parseOrThrow } from "../../shared/complaint/validation";
import { ProblemError } from "../../shared/http/problem";
import type { ComplaintStore } from "../../shared/store/complaint-store";
import { REMOVE, validSubmission, withField } from "../helpers/fixtures";

type Path = readonly (string | number)[];

const accepts = (body: unknown) => submissionSchema.safeParse(body).success;
const acceptsWith = (path: Path, value: unknown) => accepts(withField(validSubmission(), path, value));

/** The RFC 9457 field errors the API would answer with. */
function errorsFor(body: unknown) {
  try {
    parseOrThrow(submissionSchema, body, "The complaint");
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    return (error as ProblemError).errors ?? [];
  }
  throw new Error("expected the body to be refused");
}

describe("submissionSchema: the fixture", () => {
  it("accepts the fixture submission unchanged", () => {
    const body = validSubmission();
    const parsed = submissionSchema.parse(body);
    expect(parsed).toEqual(body);
  });

  it("hands out a fresh object every time", () => {
    const a = validSubmission();
    a.consumer.name = "changed";
    expect(validSubmission().consumer.name).not.toBe("changed");
  });

  it("accepts a submission without the optional fields", () => {
    let body: object = validSubmission();
    for (const path of [["evidence"], ["consumer", "email"], ["seller", "shopId"]] as const) {
      body = withField(body, path, REMOVE);
    }
    expect(accepts(body)).toBe(true);
  });

  it("fits easily in the request size limit", () => {
    expect(MAX_SUBMISSION_BYTES).toBe(64 * 1024);
    expect(Buffer.byteLength(JSON.stringify(validSubmission()))).toBeLessThan(MAX_SUBMISSION_BYTES / 8);
  });
});

describe("submissionSchema: unknown fields", () => {
  const levels: [string, Path][] = [
    ["the root", []],
    ["seller", ["seller"]],
    ["order", ["order"]],
    ["category", ["category"]],
    ["consumer", ["consumer"]],
    ["consents", ["consents"]],
    ["an evidence item", ["evidence", 0]],
  ];

  it.each(levels)("refuses an unknown field in %s and points at its object", (_, path) => {
    const body = withField(validSubmission(), [...path, "unexpectedField"], "x");
    const errors = errorsFor(body);
    expect(errors).toEqual([
      { pointer: path.length === 0 ? "" : `/${path.join("/")}`, detail: "unknown field: unexpectedField" },
    ]);
  });

  it("refuses a missing required field", () => {
    for (const path of [["platform"], ["consumer", "phone"], ["consents"], ["order", "currency"]]) {
      expect(acceptsWith(path, REMOVE), path.join("/")).toBe(false);
    }
  });
});

describe("submissionSchema: prototype keys", () => {
  const text = JSON.stringify(validSubmission());

  it.each([
    ["__proto__ at the root", text.replace(/^\{/, '{"__proto__":{"polluted":true},')],
    ["constructor at the root", text.replace(/^\{/, '{"constructor":{"prototype":{"polluted":true}},')],
    ["__proto__ in consumer", text.replace('"consumer":{', '"consumer":{"__proto__":{"admin":true},')],
    ["constructor in order", text.replace('"order":{', '"order":{"constructor":"x",')],
    ["__proto__ in consents", text.replace('"consents":{', '"consents":{"__proto__":{"processing":true},')],
  ])("refuses %s", (_, json) => {
    const body: unknown = JSON.parse(json);
    expect(json).not.toBe(text);
    const errors = errorsFor(body);
    expect(errors.some((e) => /unknown field: (__proto__|constructor)/.test(e.detail))).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe("submissionSchema: consents (PIPL Art 23)", () => {
  it.each(["processing", "shareWithPlatform"])("requires %s to be literally true", (consent) => {
    expect(acceptsWith(["consents", consent], true)).toBe(true);
    for (const value of [false, "true", 1, null, {}, REMOVE]) {
      expect(acceptsWith(["consents", consent], value), String(value)).toBe(false);
    }
    const errors = errorsFor(withField(validSubmission(), ["consents", consent], false));
    expect(errors.map((e) => e.pointer)).toEqual([`/consents/${consent}`]);
  });
});

describe("submissionSchema: formats", () => {
  it.each(["13907550912", "+8613907550912", "19900000000", "13000000000"])(
    "accepts the phone %s",
    (phone) => {
      expect(acceptsWith(["consumer", "phone"], phone)).toBe(true);
    },
  );

  it.each([
    "12907550912", // no mobile prefix 12
    "1390755091", // 10 digits
    "139075509120", // 12 digits
    "+85213907550912", // Hong Kong country code
    "8613907550912", // +86 without the plus
    "139-0755-0912",
    " 13907550912",
    "13907550912\n",
    "０13907550912",
    "",
  ])("refuses the phone %j", (phone) => {
    expect(acceptsWith(["consumer", "phone"], phone)).toBe(false);
  });

  it("does not echo a refused phone number in the field errors", () => {
    const errors = errorsFor(withField(validSubmission(), ["consumer", "phone"], "12345678901"));
    expect(errors).toEqual([{ pointer: "/consumer/phone", detail: "a mainland China mobile number" }]);
  });

  it("accepts 6-digit region codes only", () => {
    expect(acceptsWith(["consumer", "regionCode"], "440305")).toBe(true);
    for (const code of ["11010", "1101050", "11010a", "", 110105, "１１０１０５"]) {
      expect(acceptsWith(["consumer", "regionCode"], code), String(code)).toBe(false);
    }
  });

  it("accepts ISO 4217-shaped currency codes only", () => {
    expect(acceptsWith(["order", "currency"], "USD")).toBe(true);
    for (const currency of ["cny", "CN", "CNYY", "¥", "", "C1Y"]) {
      expect(acceptsWith(["order", "currency"], currency), currency).toBe(false);
    }
  });

  it.each([["order", "date"], ["incidentDate"]] as const)(
    "accepts only real YYYY-MM-DD dates in %s",
    (...path) => {
      expect(acceptsWith(path, "2024-02-29")).toBe(true);
      for (const date of [
        "2025-02-29",
        "2025-13-01",
        "2025-04-31",
        "2025/06/01",
        "2025-6-1",
        "20250601",
        "2025-06-01T00:00:00Z",
        "",
        20250601,
      ]) {
        expect(acceptsWith(path, date), String(date)).toBe(false);
      }
    },
  );

  it("accepts an email only in its place and shape", () => {
    expect(acceptsWith(["consumer", "email"], "a.b@example.cn")).toBe(true);
    for (const email of ["not-an-email", "a@", "@example.com", `${"a".repeat(250)}@example.com`]) {
      expect(acceptsWith(["consumer", "email"], email), email.slice(0, 20)).toBe(false);
    }
  });

  it("keeps money in whole fen within bounds", () => {
    expect(acceptsWith(["order", "amountFen"], 0)).toBe(true);
    expect(acceptsWith(["order", "amountFen"], 10_000_000_000)).toBe(true);
    for (const amount of [-1, 12.5, 10_000_000_001, "29900", Number.NaN]) {
      expect(acceptsWith(["order", "amountFen"], amount), String(amount)).toBe(false);
    }
  });

  it("accepts platform slugs, including non-members, and refuses anything else", () => {
    for (const platform of ["jd", "not-a-member-yet", "a", "x1"]) {
      expect(acceptsWith(["platform"], platform), platform).toBe(true);
    }
    for (const platform of ["JD", "-jd", "jd-", "jd_com", "", "a".repeat(41), "jd.com"]) {
      expect(acceptsWith(["platform"], platform), platform).toBe(false);
    }
  });
});

describe("submissionSchema: enumerations", () => {
  it("accepts every listed value", () => {
    for (const nature of ISSUE_NATURES) expect(acceptsWith(["category", "nature"], nature)).toBe(true);
    for (const domain of [...GOODS_DOMAINS, ...SERVICE_DOMAINS]) {
      expect(acceptsWith(["category", "domain"], domain)).toBe(true);
    }
    for (const demand of DEMANDS) expect(acceptsWith(["demands"], [demand])).toBe(true);
    expect(acceptsWith(["seller", "type"], "self_operated")).toBe(true);
  });

  it.each([
    [["seller", "type"], "marketplace"],
    [["category", "nature"], "Quality"],
    [["category", "nature"], "toString"],
    [["category", "domain"], "weapons"],
    [["demands", 0], "jail_time"],
  ] as const)("refuses %j = %j", (path, value) => {
    expect(acceptsWith(path, value)).toBe(false);
  });

  it("needs between one demand and one of each", () => {
    expect(acceptsWith(["demands"], [])).toBe(false);
    expect(acceptsWith(["demands"], [...DEMANDS])).toBe(true);
    expect(acceptsWith(["demands"], [...DEMANDS, "refund"])).toBe(false);
    expect(acceptsWith(["demands"], "refund")).toBe(false);
  });
});

describe("submissionSchema: size limits", () => {
  it("limits the title to 4..100 characters", () => {
    expect(acceptsWith(["title"], "abc")).toBe(false);
    expect(acceptsWith(["title"], "abcd")).toBe(true);
    expect(acceptsWith(["title"], "标".repeat(100))).toBe(true);
    expect(acceptsWith(["title"], "标".repeat(101))).toBe(false);
  });

  it("limits the narrative to 20..5000 characters", () => {
    expect(acceptsWith(["narrative"], "x".repeat(19))).toBe(false);
    expect(acceptsWith(["narrative"], "x".repeat(20))).toBe(true);
    expect(acceptsWith(["narrative"], "述".repeat(5000))).toBe(true);
    expect(acceptsWith(["narrative"], "述".repeat(5001))).toBe(false);
    const errors = errorsFor(withField(validSubmission(), ["narrative"], "x".repeat(5001)));
    expect(errors.map((e) => e.pointer)).toEqual(["/narrative"]);
  });

  it("limits the other free-text fields", () => {
    expect(acceptsWith(["seller", "shopName"], "s".repeat(100))).toBe(true);
    expect(acceptsWith(["seller", "shopName"], "s".repeat(101))).toBe(false);
    expect(acceptsWith(["seller", "shopName"], "")).toBe(false);
    expect(acceptsWith(["consumer", "name"], "n".repeat(50))).toBe(true);
    expect(acceptsWith(["consumer", "name"], "n".repeat(51))).toBe(false);
    expect(acceptsWith(["order", "item"], "i".repeat(201))).toBe(false);
    expect(acceptsWith(["order", "id"], "o".repeat(65))).toBe(false);
  });

  it("takes at most 10 evidence links", () => {
    const link = { url: "https://evidence.example.com/photo.jpg" };
    expect(acceptsWith(["evidence"], Array(10).fill(link))).toBe(true);
    expect(acceptsWith(["evidence"], Array(11).fill(link))).toBe(false);
    expect(acceptsWith(["evidence"], [])).toBe(true);
  });
});

describe("submissionSchema: evidence links", () => {
  it.each(["https://evidence.example.com/a.jpg", "https://evidence.example.com:8443/a?b=c#d"])(
    "accepts %s",
    (url) => {
      expect(acceptsWith(["evidence", 0, "url"], url)).toBe(true);
    },
  );

  it.each([
    "http://evidence.example.com/a.jpg",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://evidence.example.com/a.jpg",
    "file:///etc/passwd",
    "evidence.example.com/a.jpg",
    "",
    `https://evidence.example.com/${"a".repeat(2048)}`,
  ])("refuses %s", (url) => {
    expect(acceptsWith(["evidence", 0, "url"], url)).toBe(false);
  });
});

describe("submissionSchema: control characters", () => {
  const singleLineFields: Path[] = [
    ["title"],
    ["consumer", "name"],
    ["seller", "shopName"],
    ["order", "item"],
  ];

  it.each(singleLineFields)("refuses NUL, line breaks and DEL in %s", (...path) => {
    for (const bad of ["\u0000", "\n", "\r", "\t", "\u001b", "\u007f"]) {
      expect(acceptsWith(path, `Earbuds${bad}broke`), JSON.stringify(bad)).toBe(false);
    }
  });

  it("allows line breaks and tabs in the narrative but not NUL or other controls", () => {
    const base = "The earbud stopped charging after nine days.";
    expect(acceptsWith(["narrative"], `${base}\n\tThe seller did not answer.\r\n`)).toBe(true);
    for (const bad of ["\u0000", "\u0007", "\u000b", "\u000c", "\u001f", "\u007f"]) {
      expect(acceptsWith(["narrative"], `${base}${bad}more text`), JSON.stringify(bad)).toBe(false);
    }
  });

  it("refuses NUL in an evidence description", () => {
    expect(acceptsWith(["evidence", 0, "description"], "Receipt\u0000")).toBe(false);
  });
});

describe("submissionSchema: text every queue can carry", () => {
  // Found by the fault suite (test/faults/bad-input.test.ts): SQS refuses U+FFFE / U+FFFF in a message body, so
  // EventBridge could put such a notice neither on the platform's queue nor on the routing DLQ, and the accepted
  // complaint never arrived. A lone surrogate has no UTF-8 form at all.
  const textFields: Path[] = [
    ["title"],
    ["narrative"],
    ["consumer", "name"],
    ["seller", "shopName"],
    ["seller", "shopId"],
    ["order", "id"],
    ["order", "item"],
    ["evidence", 0, "description"],
  ];

  it.each(textFields)("refuses the noncharacters U+FFFE and U+FFFF and lone surrogates in %s", (...path) => {
    for (const bad of ["\uFFFF", "\uFFFE", "\uD800", "\uDFFF", "a\uDC00b"]) {
      expect(acceptsWith(path, `Earbuds ${bad} broke down`), JSON.stringify(bad)).toBe(false);
    }
  });

  it.each(textFields)(
    "keeps emoji, RTL text, combining marks and private-use characters in %s",
    (...path) => {
      for (const good of ["👨‍👩‍👧‍👦", "\u202Eevil\u202C", "שלום", "e\u0301\u0301", "\uE000\uFFFD", "𝕳𝖚𝖇"]) {
        expect(acceptsWith(path, `Earbuds ${good} broke down`), JSON.stringify(good)).toBe(true);
      }
    },
  );

  it("refuses them in an evidence URL too", () => {
    expect(acceptsWith(["evidence", 0, "url"], "https://evidence.example.com/\uFFFF")).toBe(false);
    expect(acceptsWith(["evidence", 0, "url"], "https://evidence.example.com/\uD800")).toBe(false);
    expect(acceptsWith(["evidence", 0, "url"], "https://evidence.example.com/收据.jpg")).toBe(true);
  });

  it("says so in the API Gateway model too, for the noncharacters", () => {
    const model = apiGatewayModel(submissionSchema) as { properties: Record<string, { pattern?: string }> };
    const pattern = new RegExp(model.properties.title?.pattern ?? "");
    expect(pattern.test("Earbuds broke down")).toBe(true);
    expect(pattern.test("Earbuds \uFFFF broke down")).toBe(false);
  });
});

describe("submissionRuleViolations", () => {
  const today = "2025-06-15";
  const rules = (body: Submission) => submissionRuleViolations(body, today);

  it("finds nothing wrong with the fixture", () => {
    expect(rules(validSubmission())).toEqual([]);
  });

  it("allows dates on the day itself", () => {
    const body = validSubmission({ incidentDate: today });
    body.order.date = today;
    expect(rules(body)).toEqual([]);
  });

  it("refuses an order date in the future", () => {
    const body = validSubmission({ incidentDate: "2025-06-17" });
    body.order.date = "2025-06-16";
    expect(rules(body).map((e) => e.pointer)).toEqual(["/order/date", "/incidentDate"]);
  });

  it("refuses an incident date in the future", () => {
    expect(rules(validSubmission({ incidentDate: "2025-06-16" }))).toEqual([
      { pointer: "/incidentDate", detail: "the incident date is in the future" },
    ]);
  });

  it("refuses an incident before the order", () => {
    expect(rules(validSubmission({ incidentDate: "2025-05-31" }))).toEqual([
      { pointer: "/incidentDate", detail: "the incident date is before the order date" },
    ]);
  });

  it("refuses repeated demands", () => {
    expect(rules(validSubmission({ demands: ["refund", "apology", "refund"] }))).toEqual([
      { pointer: "/demands", detail: "demands must not repeat" },
    ]);
  });

  it("reports every violation at once", () => {
    const body = validSubmission({ incidentDate: "2025-01-01", demands: ["refund", "refund"] });
    body.order.date = "2025-07-01";
    expect(rules(body).map((e) => e.pointer)).toEqual(["/demands", "/order/date", "/incidentDate"]);
  });
});

describe("submitComplaint screening (no store reached)", () => {
  const unusedStore = {
    create: () => {
      throw new Error("the store must not be reached");
    },
  } as unknown as ComplaintStore;
  const deps = (now: string) => ({
    store: unusedStore,
    trackingTokenKey: async () => "unit-test-token-key",
    now: () => new Date(now),
  });

  it("judges 'future' by the date in Shanghai, not UTC", async () => {
    // 2025-06-15T17:00Z is already 16 June in Shanghai: an incident on the 16th is not in the future there.
    const body = validSubmission({ incidentDate: "2025-06-16" });
    await expect(submitComplaint(deps("2025-06-15T17:00:00Z"), body, "shanghai-day-0001")).rejects.toThrow(
      "the store must not be reached",
    );
    // At 15:59Z it is still the 15th in Shanghai.
    const refused = await submitComplaint(deps("2025-06-15T15:59:00Z"), body, "shanghai-day-0002").catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).kind).toBe("validation");
    expect((refused as ProblemError).errors).toEqual([
      { pointer: "/incidentDate", detail: "the incident date is in the future" },
    ]);
  });

  it.each(["short", "x".repeat(256), "has space in it", "ключ-идемпотентности"])(
    "refuses the Idempotency-Key %j",
    async (key) => {
      const refused = await submitComplaint(deps("2025-06-15T00:00:00Z"), validSubmission(), key).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ProblemError);
      expect((refused as ProblemError).kind).toBe("validation");
    },
  );
});

describe("isUrgent", () => {
  it.each(["personal_injury", "food_safety", "cosmetic_reaction"] as const)(
    "treats %s as urgent",
    (nature) => {
      expect(isUrgent({ category: { nature, domain: "food" } })).toBe(true);
    },
  );

  it("treats every other nature as not urgent", () => {
    const others = ISSUE_NATURES.filter(
      (n) => !["personal_injury", "food_safety", "cosmetic_reaction"].includes(n),
    );
    expect(others).toHaveLength(ISSUE_NATURES.length - 3);
    for (const nature of others)
      expect(isUrgent({ category: { nature, domain: "food" } }), nature).toBe(false);
  });
});
