/**
 * Functions and IAM: the house defaults on every function, an own role per function with no managed
 * policies, and least privilege: each delivery function touches only its own platform's queues, DLQ and secret;
 * the API functions only the items they need; the publisher only the hub's bus. Secrets are never in the env.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { STAGES } from "../../infra/stages";
import {
  actionMatches,
  allowedActions,
  arnOf,
  busId,
  type Cfn,
  functionByService,
  grantsOf,
  keyId,
  list,
  mappingsFrom,
  onlyOne,
  PUSH_PLATFORMS,
  platformQueues,
  queueIdByName,
  resourcesOf,
  resourcesOfType,
  roleIdOf,
  roleStatements,
  secretIdByName,
  synthHub,
  tableId,
} from "./hub-template";

const dev = STAGES.dev as NonNullable<(typeof STAGES)["dev"]>;
/** The consumer's actions on their complaint, each its own function (shared/consumer). */
const CONSUMER_SERVICES = ["consumer-feedback", "consumer-withdraw", "consumer-message"];
/** The platforms' API: reports and inbox (shared/platform). */
const PLATFORM_API_SERVICES = ["platform-report", "platform-inbox"];
const SERVICES = [
  "submit-complaint",
  "get-complaint",
  ...CONSUMER_SERVICES,
  ...PLATFORM_API_SERVICES,
  "publish-events",
  "chase-deadlines",
  "update-stats",
  "get-stats",
  ...PUSH_PLATFORMS.map((p) => `deliver-${p.id}`),
];
const X_RAY = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

let json: Cfn;
beforeAll(() => {
  json = synthHub().json;
});

const statementsOf = (service: string) => roleStatements(json, roleIdOf(functionByService(json, service)[1]));
const s = (value: unknown) => JSON.stringify(value);

describe("every function", () => {
  it("is one of the hub's: the consumer API, the platform API, the publisher and one per push platform", () => {
    const services = resourcesOfType(json, "AWS::Lambda::Function").map(
      ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(services.sort()).toEqual([...SERVICES].sort());
  });

  it.each(SERVICES)("%s: nodejs24.x on arm64, traced, logging JSON", (service) => {
    const [, fn] = functionByService(json, service);
    expect(fn.Properties.Runtime).toBe("nodejs24.x");
    expect(fn.Properties.Architectures).toEqual(["arm64"]);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: "Active" });
    expect(fn.Properties.LoggingConfig.LogFormat).toBe("JSON");
  });

  it.each(SERVICES)(
    "%s: logs to its own encrypted log group with retention, and may write only there",
    (service) => {
      const [, fn] = functionByService(json, service);
      const logGroupId = fn.Properties.LoggingConfig.LogGroup?.Ref;
      const logGroup = json.Resources[logGroupId];
      expect(logGroup?.Type).toBe("AWS::Logs::LogGroup");
      expect(logGroup.Properties.RetentionInDays).toBe(dev.logRetentionDays);
      expect(logGroup.Properties.KmsKeyId).toEqual(arnOf(keyId(json)));
      const logWrites = grantsOf(statementsOf(service), "logs:PutLogEvents");
      expect(resourcesOf(logWrites)).toEqual([s(arnOf(logGroupId))]);
    },
  );

  it.each(SERVICES)("%s: has its own role, and '*' only for X-Ray", (service) => {
    const statements = statementsOf(service);
    const roleIds = SERVICES.map((other) => roleIdOf(functionByService(json, other)[1]));
    expect(new Set(roleIds).size).toBe(SERVICES.length);
    const star = statements.filter((st) => st.Effect === "Allow" && list(st.Resource).includes("*"));
    expect(star.flatMap((st) => list(st.Action)).sort()).toEqual([...X_RAY].sort());
  });
});

describe("roles", () => {
  it("have no managed policies, except API Gateway's account logging role", () => {
    const withManaged = resourcesOfType(json, "AWS::IAM::Role").filter(
      ([, r]) => list(r.Properties.ManagedPolicyArns).length > 0,
    );
    const [, apiRole] = onlyOne(withManaged, "role with managed policies");
    expect(apiRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
      Service: "apigateway.amazonaws.com",
    });
    expect(s(apiRole.Properties.ManagedPolicyArns)).toContain(
      ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    );
    expect(list(apiRole.Properties.ManagedPolicyArns)).toHaveLength(1);
    expect(resourcesOfType(json, "AWS::IAM::ManagedPolicy")).toEqual([]);
  });
});

describe("a delivery function", () => {
  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: consumes only its own queue and urgent queue", (id) => {
    const { queue, urgent } = platformQueues(json, id);
    const statements = statementsOf(`deliver-${id}`);
    for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"]) {
      expect(resourcesOf(grantsOf(statements, action)), action).toEqual(
        [s(arnOf(queue)), s(arnOf(urgent))].sort(),
      );
    }
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: sends only to its own DLQ", (id) => {
    const { dlq } = platformQueues(json, id);
    expect(resourcesOf(grantsOf(statementsOf(`deliver-${id}`), "sqs:SendMessage"))).toEqual([s(arnOf(dlq))]);
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: names no other platform's queue or secret", (id) => {
    const text = s(statementsOf(`deliver-${id}`));
    for (const other of PUSH_PLATFORMS.filter((p) => p.id !== id)) {
      const { queue, urgent, dlq } = platformQueues(json, other.id);
      const secret = secretIdByName(json, `complaint-hub/dev/platforms/${other.id}/webhook`);
      for (const logicalId of [queue, urgent, dlq, secret]) expect(text).not.toContain(`"${logicalId}"`);
    }
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: reads only its own webhook secret", (id) => {
    const secret = secretIdByName(json, `complaint-hub/dev/platforms/${id}/webhook`);
    const statements = statementsOf(`deliver-${id}`);
    expect(resourcesOf(grantsOf(statements, "secretsmanager:GetSecretValue"))).toEqual([s({ Ref: secret })]);
    expect(allowedActions(statements, "secretsmanager")).toEqual([
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
    ]);
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: reads and writes items, never scans", (id) => {
    const statements = statementsOf(`deliver-${id}`);
    expect(allowedActions(statements, "dynamodb")).toEqual([
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]);
    expect(resourcesOf(grantsOf(statements, "dynamodb:PutItem"))).toEqual([s(arnOf(tableId(json)))]);
  });
});

describe("the API functions", () => {
  it("submit has no SQS permission at all", () => {
    const statements = statementsOf("submit-complaint");
    expect(allowedActions(statements, "sqs")).toEqual([]);
    expect(statements.some((st) => list(st.Action).some((a) => actionMatches(a, "sqs:SendMessage")))).toBe(
      false,
    );
  });

  it("submit may only get and put items on the table: no scan, no index", () => {
    const statements = statementsOf("submit-complaint");
    expect(allowedActions(statements, "dynamodb")).toEqual(["dynamodb:GetItem", "dynamodb:PutItem"]);
    expect(grantsOf(statements, "dynamodb:Scan")).toEqual([]);
    expect(grantsOf(statements, "dynamodb:Query")).toEqual([]);
    const dynamo = statements.filter((st) => list(st.Action).some((a) => a.startsWith("dynamodb:")));
    expect(resourcesOf(dynamo)).toEqual([s(arnOf(tableId(json)))]);
  });

  it("submit reads the tracking-token key and no other secret", () => {
    const secret = secretIdByName(json, "complaint-hub/dev/tracking-token-key");
    expect(resourcesOf(grantsOf(statementsOf("submit-complaint"), "secretsmanager:GetSecretValue"))).toEqual([
      s({ Ref: secret }),
    ]);
  });

  it("get may only get items, and reads no secret", () => {
    const statements = statementsOf("get-complaint");
    expect(allowedActions(statements, "dynamodb")).toEqual(["dynamodb:GetItem"]);
    expect(resourcesOf(grantsOf(statements, "dynamodb:GetItem"))).toEqual([s(arnOf(tableId(json)))]);
    expect(allowedActions(statements, "secretsmanager")).toEqual([]);
    expect(allowedActions(statements, "sqs")).toEqual([]);
  });
});

describe("the consumer action functions", () => {
  it.each([
    ["consumer-feedback", ["dynamodb:GetItem", "dynamodb:UpdateItem"]],
    ["consumer-withdraw", ["dynamodb:GetItem", "dynamodb:UpdateItem"]],
    // A message is its own item, put in the same transaction as the complaint's update.
    ["consumer-message", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]],
  ])("%s may only %j items of the table: no scan, no index", (service, actions) => {
    const statements = statementsOf(service);
    expect(allowedActions(statements, "dynamodb")).toEqual(actions);
    const dynamo = statements.filter((st) => list(st.Action).some((a) => a.startsWith("dynamodb:")));
    expect(resourcesOf(dynamo)).toEqual([s(arnOf(tableId(json)))]);
  });

  it.each(CONSUMER_SERVICES)("%s reads no secret and touches no queue or bus", (service) => {
    const statements = statementsOf(service);
    expect(allowedActions(statements, "secretsmanager")).toEqual([]);
    expect(allowedActions(statements, "sqs")).toEqual([]);
    expect(allowedActions(statements, "events")).toEqual([]);
  });

  it.each(CONSUMER_SERVICES)("%s uses the hub key only through DynamoDB", (service) => {
    const kms = grantsOf(statementsOf(service), "kms:Decrypt");
    expect(resourcesOf(kms)).toEqual([s(arnOf(keyId(json)))]);
    for (const statement of kms) {
      expect(s(statement.Condition)).toContain("kms:ViaService");
    }
  });

  it.each(CONSUMER_SERVICES)("%s knows the table and nothing else", (service) => {
    const [, fn] = functionByService(json, service);
    const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, NODE_OPTIONS, ...own } =
      fn.Properties.Environment.Variables;
    expect(POWERTOOLS_SERVICE_NAME).toBe(service);
    expect(own).toEqual({ TABLE_NAME: { Ref: tableId(json) } });
  });
});

describe("the publish function", () => {
  it("may put events on the hub bus only", () => {
    const statements = statementsOf("publish-events");
    expect(allowedActions(statements, "events")).toEqual(["events:PutEvents"]);
    expect(resourcesOf(grantsOf(statements, "events:PutEvents"))).toEqual([s(arnOf(busId(json)))]);
  });

  it("reads the table's stream with bisection, partial failures and an on-failure queue", () => {
    const [fnId] = functionByService(json, "publish-events");
    const [, mapping] = onlyOne(
      mappingsFrom(json, tableId(json)).filter(([, m]) => s(m.Properties.FunctionName) === s({ Ref: fnId })),
      "the publisher's stream event source mapping",
    );
    const failures = queueIdByName(json, "complaint-hub-dev-publish-failures");
    expect(mapping.Properties.EventSourceArn).toEqual({ "Fn::GetAtt": [tableId(json), "StreamArn"] });
    expect(mapping.Properties.FunctionName).toEqual({ Ref: fnId });
    expect(mapping.Properties.BisectBatchOnFunctionError).toBe(true);
    expect(mapping.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(mapping.Properties.DestinationConfig).toEqual({ OnFailure: { Destination: arnOf(failures) } });
    expect(mapping.Properties.MaximumRetryAttempts).toBe(dev.publish.retryAttempts);
    expect(mapping.Properties.StartingPosition).toBe("TRIM_HORIZON");
    const filters = mapping.Properties.FilterCriteria.Filters.map((f: Cfn) => JSON.parse(f.Pattern));
    expect(filters).toEqual([{ dynamodb: { Keys: { sk: { S: ["META"] } } } }]);
    expect(resourcesOf(grantsOf(statementsOf("publish-events"), "sqs:SendMessage"))).toEqual([
      s(arnOf(failures)),
    ]);
  });
});

describe("the chase function", () => {
  it("runs every 5 minutes from a schedule on the default bus, one run at a time", () => {
    const [fnId, fn] = functionByService(json, "chase-deadlines");
    const schedules = resourcesOfType(json, "AWS::Events::Rule").filter(
      ([, r]) => r.Properties.ScheduleExpression,
    );
    const [, rule] = onlyOne(schedules, "schedule rule");
    expect(rule.Properties.ScheduleExpression).toBe("rate(5 minutes)");
    expect(rule.Properties.EventBusName).toBeUndefined();
    const target = onlyOne<Cfn>(rule.Properties.Targets, "schedule target");
    expect(target.Arn).toEqual(arnOf(fnId));
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    const permissions = resourcesOfType(json, "AWS::Lambda::Permission").filter(
      ([, p]) => s(p.Properties.FunctionName) === s(arnOf(fnId)),
    );
    expect(permissions.map(([, p]) => p.Properties.Principal)).toEqual(["events.amazonaws.com"]);
  });

  it("queries the deadline index and no other, and reads and writes complaint items, never scans", () => {
    const statements = statementsOf("chase-deadlines");
    expect(allowedActions(statements, "dynamodb").sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
    const table = arnOf(tableId(json));
    const indexes = resourcesOf(grantsOf(statements, "dynamodb:Query")).filter((r) => r.includes("/index/"));
    expect(indexes).toEqual([s({ "Fn::Join": ["", [table, "/index/byDeadline"]] })]);
    expect(resourcesOf(grantsOf(statements, "dynamodb:UpdateItem"))).toEqual([s(table)]);
  });
});

describe("function environments", () => {
  const KEY_MATERIAL = /^(?:[A-Fa-f0-9]{32,}|[A-Za-z0-9+/]{32,}={0,2})$/;

  it.each(SERVICES)("%s: holds no secret, only secret names", (service) => {
    const [, fn] = functionByService(json, service);
    const variables = fn.Properties.Environment.Variables as Record<string, Cfn>;
    for (const [name, value] of Object.entries(variables)) {
      const text = typeof value === "string" ? value : s(value);
      expect(text, name).not.toMatch(/whsec_/i);
      expect(text, name).not.toContain("resolve:secretsmanager");
      expect(text, name).not.toContain("resolve:ssm-secure");
      expect(text, name).not.toContain("-----BEGIN");
      expect(text, name).not.toMatch(KEY_MATERIAL);
      // Only *_SECRET_ID may mention a secret, and then it is its name
      if (/SECRET|PASSWORD|PRIVATE|TOKEN|_KEY$/.test(name)) expect(name).toMatch(/_SECRET_ID$/);
    }
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))(
    "%s: WEBHOOK_SECRET_ID is the name of the secret it may read",
    (id) => {
      const [, fn] = functionByService(json, `deliver-${id}`);
      const name = fn.Properties.Environment.Variables.WEBHOOK_SECRET_ID;
      expect(name).toBe(`complaint-hub/dev/platforms/${id}/webhook`);
      const secret = secretIdByName(json, name);
      expect(resourcesOf(grantsOf(statementsOf(`deliver-${id}`), "secretsmanager:GetSecretValue"))).toEqual([
        s({ Ref: secret }),
      ]);
    },
  );

  it("TRACKING_TOKEN_SECRET_ID is the name of the tracking-token key", () => {
    const [, fn] = functionByService(json, "submit-complaint");
    const name = fn.Properties.Environment.Variables.TRACKING_TOKEN_SECRET_ID;
    expect(name).toBe("complaint-hub/dev/tracking-token-key");
    expect(json.Resources[secretIdByName(json, name)].Properties.GenerateSecretString).toBeDefined();
  });

  it.each(PUSH_PLATFORMS.map((p) => p.id))("%s: has every setting delivery-config requires", (id) => {
    const [, fn] = functionByService(json, `deliver-${id}`);
    const { queue, urgent, dlq } = platformQueues(json, id);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      PLATFORM_ID: id,
      PLATFORM_ENDPOINT: `${dev.sandboxBaseUrl}/${id}/after-sale`,
      QUEUE_URL: { Ref: queue },
      URGENT_QUEUE_URL: { Ref: urgent },
      DEAD_LETTER_QUEUE_URL: { Ref: dlq },
      TABLE_NAME: { Ref: tableId(json) },
      RETRY_BASE_DELAY_SECONDS: String(dev.delivery.retry.baseDelaySeconds),
      RETRY_MAX_DELAY_SECONDS: String(dev.delivery.retry.maxDelaySeconds),
      RETRY_MAX_ATTEMPTS: String(dev.delivery.retry.maxAttempts),
    });
  });
});
