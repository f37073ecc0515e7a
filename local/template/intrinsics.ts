/**
 * Resolves CloudFormation intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split,
 * Fn::If with conditions, Fn::Base64, Fn::GetAZs) against the local cloud's physical resources, so every
 * value a function or rule sees comes from the template as `cdk deploy` ships it.
 */
export interface PhysicalResource {
  /** What `Ref` returns for this resource type. */
  ref: string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  attributes: Record<string, string>;
}

export interface ResolveContext {
  region: string;
  accountId: string;
  partition: string;
  stackName: string;
  physical: (logicalId: string) => PhysicalResource | undefined;
  parameters: Record<string, string>;
  conditions?: Record<string, boolean>;
}

export class UnresolvableError extends Error {}

export function resolveValue(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, ctx));
  if (!value || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0] as [string, unknown];
    const fn = INTRINSICS[key];
    if (fn) return fn(arg, ctx);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolveValue(v, ctx)]));
}

export function resolveString(value: unknown, ctx: ResolveContext): string {
  const resolved = resolveValue(value, ctx);
  if (typeof resolved === "string") return resolved;
  if (typeof resolved === "number" || typeof resolved === "boolean") return String(resolved);
  throw new UnresolvableError(`Expected a string, got ${JSON.stringify(resolved)?.slice(0, 120)}`);
}

type Intrinsic = (arg: unknown, ctx: ResolveContext) => unknown;

const INTRINSICS: Record<string, Intrinsic> = {
  Ref: (arg, ctx) => ref(String(arg), ctx),
  "Fn::GetAtt": (arg, ctx) => {
    const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/s);
    return getAtt(String(logicalId), String(attribute), ctx);
  },
  "Fn::Join": (arg, ctx) => {
    const [separator, parts] = arg as [string, unknown];
    const list = resolveValue(parts, ctx) as unknown[];
    return list.map((p) => (typeof p === "string" ? p : String(p))).join(separator);
  },
  "Fn::Select": (arg, ctx) => {
    const [index, list] = arg as [unknown, unknown];
    const items = resolveValue(list, ctx) as unknown[];
    const i = Number(resolveValue(index, ctx));
    if (!Array.isArray(items) || i < 0 || i >= items.length)
      throw new UnresolvableError(`Fn::Select index ${i} out of range`);
    return items[i];
  },
  "Fn::Split": (arg, ctx) => {
    const [separator, source] = arg as [string, unknown];
    return resolveString(source, ctx).split(separator);
  },
  "Fn::Sub": (arg, ctx) => {
    const [template, variables] = Array.isArray(arg)
      ? (arg as [string, Record<string, unknown>])
      : [String(arg), {}];
    return template.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in variables) return resolveString(variables[name], ctx);
      if (name.includes(".")) {
        const [logicalId, attribute] = name.split(/\.(.*)/s) as [string, string];
        return getAtt(logicalId, attribute, ctx);
      }
      return ref(name, ctx);
    });
  },
  "Fn::If": (arg, ctx) => {
    const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
    return resolveValue(ctx.conditions?.[condition] ? whenTrue : whenFalse, ctx);
  },
  "Fn::Base64": (arg, ctx) => Buffer.from(resolveString(arg, ctx)).toString("base64"),
  "Fn::GetAZs": (_arg, ctx) => ["a", "b", "c"].map((az) => `${ctx.region}${az}`),
};

const PSEUDO: Record<string, (ctx: ResolveContext) => string> = {
  "AWS::Region": (ctx) => ctx.region,
  "AWS::AccountId": (ctx) => ctx.accountId,
  "AWS::Partition": (ctx) => ctx.partition,
  "AWS::URLSuffix": (ctx) => (ctx.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"),
  "AWS::StackName": (ctx) => ctx.stackName,
  "AWS::StackId": (ctx) =>
    `arn:${ctx.partition}:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/local`,
  "AWS::NoValue": () => "",
};

function ref(name: string, ctx: ResolveContext): string {
  const pseudo = PSEUDO[name];
  if (pseudo) return pseudo(ctx);
  if (name in ctx.parameters) return ctx.parameters[name] as string;
  const resource = ctx.physical(name);
  if (!resource) throw new UnresolvableError(`Ref to unknown resource or parameter ${name}`);
  return resource.ref;
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext): string {
  const resource = ctx.physical(logicalId);
  const value = resource?.attributes[attribute];
  if (value === undefined)
    throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute} is not known locally`);
  return value;
}
