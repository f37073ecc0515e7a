/**
 * IP addresses and CIDR blocks, read the way EventBridge reads them. An address is reduced to its bytes as
 * upper-case hex (8 digits for IPv4, 32 for IPv6); hex strings of one length sort like the addresses, so a
 * CIDR block is a plain [low, high] string range.
 */
import { rejectPattern } from "./errors";

// Only text of these shapes is ever taken for an address (anything else is never looked up as a host).
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

export type IpParseResult = { readonly hex: string } | { readonly problem: string };

export interface CidrBlock {
  readonly low: string;
  readonly high: string;
}

/** The address's bytes as hex, or EventBridge's complaint about the text. */
export function parseIpAddress(text: string): IpParseResult {
  if (IPV4_SHAPE.test(text)) {
    const bytes = parseIpv4(text);
    return bytes ? { hex: toHex(bytes) } : { problem: `Invalid IP address: ${text}` };
  }
  if (IPV6_SHAPE.test(text)) {
    const bytes = parseIpv6(text);
    return bytes ? { hex: toHex(bytes) } : { problem: `Invalid IP address: ${text}` };
  }
  return { problem: `Nonstandard IP address: ${text}` };
}

/** The address's bytes as hex when the text is an IP address literal, otherwise undefined. */
export function ipAddressHex(text: string): string | undefined {
  const result = parseIpAddress(text);
  return "hex" in result ? result.hex : undefined;
}

/** Reads a {"cidr": ...} operand, rejecting it with EventBridge's reasons. */
export function parseCidr(text: string): CidrBlock {
  const parts = text.split("/");
  // Java's String.split drops trailing empty strings, so "10.0.0.0/24/" still counts as one '/'.
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  const [address, maskText] = parts;
  if (parts.length !== 2 || address === undefined || maskText === undefined) {
    return rejectPattern("Malformed CIDR, one '/' required");
  }
  const maskBits = /^[+-]?[0-9]+$/.test(maskText) ? Number(maskText) : Number.NaN;
  if (!Number.isInteger(maskBits) || maskBits > 2 ** 31 - 1 || maskBits < -(2 ** 31)) {
    return rejectPattern("Malformed CIDR, mask bits must be an integer");
  }
  if (maskBits < 0) return rejectPattern("Malformed CIDR, mask bits must not be negative");

  const parsed = parseIpAddress(address);
  if ("problem" in parsed) return rejectPattern(parsed.problem);
  const addressBits = parsed.hex.length * 4;
  if (addressBits === 32 && maskBits > 31) return rejectPattern("IPv4 mask bits must be < 32");
  if (addressBits === 128 && maskBits > 127) return rejectPattern("IPv6 mask bits must be < 128");

  // The block is worked out from the address given, so "10.0.0.7/24" covers 10.0.0.0 to 10.0.0.255.
  const hostMask = (1n << BigInt(addressBits - maskBits)) - 1n;
  const base = BigInt(`0x${parsed.hex}`);
  const width = parsed.hex.length;
  return { low: bigIntToHex(base & ~hostMask, width), high: bigIntToHex(base | hostMask, width) };
}

export function cidrContains(block: CidrBlock, addressHex: string): boolean {
  return addressHex.length === block.low.length && addressHex >= block.low && addressHex <= block.high;
}

function parseIpv4(text: string): number[] | undefined {
  // Each part is read as decimal, leading zeros and all ("010" is 10, not octal 8).
  const bytes = text.split(".").map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  const gap = text.indexOf("::");
  if (gap !== -1 && text.indexOf("::", gap + 1) !== -1) return undefined;
  const splitGroups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = gap === -1 ? text.split(":") : splitGroups(text.slice(0, gap));
  const tail = gap === -1 ? [] : splitGroups(text.slice(gap + 2));
  const groupCount = head.length + tail.length;
  if (gap === -1 ? groupCount !== 8 : groupCount > 7) return undefined;
  if (![...head, ...tail].every((group) => IPV6_GROUP.test(group))) return undefined;

  const groups = [
    ...head.map((group) => Number.parseInt(group, 16)),
    ...new Array<number>(8 - groupCount).fill(0),
    ...tail.map((group) => Number.parseInt(group, 16)),
  ];
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  // Like Java's InetAddress, an IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address.
  const isIpv4Mapped =
    bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return isIpv4Mapped ? bytes.slice(12) : bytes;
}

function toHex(bytes: readonly number[]): string {
  return bytes
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

function bigIntToHex(value: bigint, width: number): string {
  return value.toString(16).padStart(width, "0").toUpperCase();
}
