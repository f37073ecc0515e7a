/**
 * Personal data in what an operator sees of a complaint (PIPL: shown only when needed, and on record when shown).
 * Masked by default: the consumer's name, phone, email and region (beyond the province), the order id (it leads
 * to the buyer's account on the platform), evidence links and their descriptions, and the text of the consumer's
 * messages. What the complaint is about (title, narrative, item, seller) stays readable: operators handle it.
 */
import type { ComplaintRecord, MessageRecord } from "../complaint/record";

/** Which fields `maskPersonalData` hides (JSON pointers into the complaint's submission). */
export const MASKED_FIELDS = [
  "/submission/consumer/name",
  "/submission/consumer/phone",
  "/submission/consumer/email",
  "/submission/consumer/regionCode",
  "/submission/order/id",
  "/submission/evidence",
  "/messages/*/text",
  "/messages/*/evidence",
] as const;

/** 张三 → 张*, Alexander → A*******: the first character and the length. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? "*" : `${chars[0]}${"*".repeat(chars.length - 1)}`;
}

/** 13800138000 → 138****8000 (+86 kept). */
export function maskPhone(phone: string): string {
  const match = /^(\+86)?(\d{3})\d*(\d{4})$/.exec(phone);
  return match ? `${match[1] ?? ""}${match[2]}****${match[3]}` : "****";
}

/** zhang.san@example.com → z***@example.com */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  return at <= 0 ? "***" : `${email[0]}***${email.slice(at)}`;
}

/** Keeps the province of a GB/T 2260 code: 110105 → 11****. */
export const maskRegion = (code: string) => `${code.slice(0, 2)}****`;

/** ORD-2026-000123 → ***0123: enough to tell two orders apart on one screen, not to look one up. */
export const maskOrderId = (id: string) => `***${id.slice(-4)}`;

/** A copy of the complaint with its personal data masked (the record itself is untouched). */
export function maskComplaint(record: ComplaintRecord): ComplaintRecord {
  const { consumer, order, evidence } = record.submission;
  return {
    ...record,
    submission: {
      ...record.submission,
      consumer: {
        name: maskName(consumer.name),
        phone: maskPhone(consumer.phone),
        ...(consumer.email ? { email: maskEmail(consumer.email) } : {}),
        regionCode: maskRegion(consumer.regionCode),
      },
      order: { ...order, id: maskOrderId(order.id) },
      ...(evidence ? { evidence: evidence.map(() => ({ url: "https://***" })) } : {}),
    },
  };
}

/** A consumer message with its text and links masked (its length kept, so an operator sees there is one). */
export function maskMessage(message: MessageRecord): MessageRecord {
  const { evidence, ...rest } = message;
  return {
    ...rest,
    text: `[${[...message.text].length} characters hidden]`,
    ...(evidence ? { evidence: evidence.map(() => ({ url: "https://***" })) } : {}),
  };
}
