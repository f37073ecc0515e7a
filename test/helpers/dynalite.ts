import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GSI_BY_DEADLINE, GSI_BY_PLATFORM_STATUS } from "../../shared/store/indexes";

interface DynaliteServer {
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo;
  close(callback: (error?: Error) => void): void;
}

// dynalite ships no types; required through createRequire so no ambient module declaration is needed.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: object) => DynaliteServer;

export { GSI_BY_DEADLINE, GSI_BY_PLATFORM_STATUS };

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  /** Marshalled like shared/aws/dynamodb.ts: undefined values are dropped. */
  doc: DynamoDBDocumentClient;
  /** Creates a complaints table shaped like the CDK one, under a fresh name. */
  createComplaintTable(): Promise<string>;
  stop(): Promise<void>;
}

/** An in-memory DynamoDB on a loopback port. */
export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  return dynamoClients(
    endpoint,
    () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  );
}

/** Clients for a DynamoDB endpoint on loopback, and a fresh complaints table on demand; `close` ends the server. */
export function dynamoClients(endpoint: string, close: () => Promise<void>): LocalDynamo {
  const client = new DynamoDBClient({
    endpoint,
    region: "cn-north-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let tables = 0;
  return {
    endpoint,
    client,
    doc,
    async createComplaintTable() {
      const tableName = `complaints-${++tables}`;
      await client.send(new CreateTableCommand(complaintTableDefinition(tableName)));
      return tableName;
    },
    async stop() {
      client.destroy();
      await close();
    },
  };
}

/** The table of infra/constructs/complaint-table.ts as a CreateTable request. */
export function complaintTableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" as const },
      { AttributeName: "sk", KeyType: "RANGE" as const },
    ],
    AttributeDefinitions: ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"].map((name) => ({
      AttributeName: name,
      AttributeType: "S" as const,
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" as const },
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI_BY_PLATFORM_STATUS,
        KeySchema: [
          { AttributeName: "gsi1pk", KeyType: "HASH" as const },
          { AttributeName: "gsi1sk", KeyType: "RANGE" as const },
        ],
        Projection: {
          ProjectionType: "INCLUDE" as const,
          NonKeyAttributes: [
            "complaintId",
            "platform",
            "status",
            "urgent",
            "updatedAt",
            "deadlines",
            "delivery",
          ],
        },
      },
      {
        IndexName: GSI_BY_DEADLINE,
        KeySchema: [
          { AttributeName: "gsi2pk", KeyType: "HASH" as const },
          { AttributeName: "gsi2sk", KeyType: "RANGE" as const },
        ],
        Projection: {
          ProjectionType: "INCLUDE" as const,
          NonKeyAttributes: ["complaintId", "platform", "status", "version"],
        },
      },
    ],
  };
}
