import { createHash } from "node:crypto";
import type { PhysicalResource } from "./intrinsics";

export interface CloudIdentity {
  region: string;
  accountId: string;
  partition: string;
  stackName: string;
  /** Base URL of the local AWS endpoint (queue URLs point at it). */
  awsEndpoint: string;
}

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Metadata?: Record<string, unknown>;
}

const short = (text: string, length = 10) => createHash("sha256").update(text).digest("hex").slice(0, length);

/**
 * What a resource is called locally and what Ref / Fn::GetAtt give for it. Explicit names in the template
 * win; otherwise a name is derived from the stack and logical id, as CloudFormation would (minus its random
 * suffix, so restarts find the same resources).
 */
export function physicalResource(
  logicalId: string,
  resource: TemplateResource,
  id: CloudIdentity,
  name: (property: string) => string | undefined,
): PhysicalResource {
  const { region, accountId: account, partition: p } = id;
  const fallback = `${id.stackName}-${logicalId}`;
  switch (resource.Type) {
    case "AWS::SQS::Queue": {
      const queueName = name("QueueName") ?? fallback.slice(0, 80);
      const url = `${id.awsEndpoint}/${account}/${queueName}`;
      return {
        ref: url,
        attributes: {
          Arn: `arn:${p}:sqs:${region}:${account}:${queueName}`,
          QueueName: queueName,
          QueueUrl: url,
        },
      };
    }
    case "AWS::DynamoDB::GlobalTable":
    case "AWS::DynamoDB::Table": {
      const tableName = name("TableName") ?? fallback;
      const arn = `arn:${p}:dynamodb:${region}:${account}:table/${tableName}`;
      return {
        ref: tableName,
        attributes: { Arn: arn, StreamArn: `${arn}/stream/local`, TableId: short(arn) },
      };
    }
    case "AWS::Events::EventBus": {
      const busName = name("Name") ?? fallback;
      return {
        ref: busName,
        attributes: { Arn: `arn:${p}:events:${region}:${account}:event-bus/${busName}`, Name: busName },
      };
    }
    case "AWS::Events::Archive": {
      const archiveName = name("ArchiveName") ?? fallback;
      return {
        ref: archiveName,
        attributes: { Arn: `arn:${p}:events:${region}:${account}:archive/${archiveName}` },
      };
    }
    case "AWS::Events::Rule": {
      const ruleName = name("Name") ?? fallback;
      // Rules on a custom bus carry the bus in their ARN.
      const bus = name("EventBusName")?.split("/").pop();
      const path = bus && bus !== "default" ? `${bus}/${ruleName}` : ruleName;
      return { ref: ruleName, attributes: { Arn: `arn:${p}:events:${region}:${account}:rule/${path}` } };
    }
    case "AWS::SecretsManager::Secret": {
      const secretName = name("Name") ?? fallback;
      const arn = `arn:${p}:secretsmanager:${region}:${account}:secret:${secretName}-${short(secretName, 6)}`;
      return { ref: arn, attributes: { Id: arn } };
    }
    case "AWS::Lambda::Function": {
      const functionName = name("FunctionName") ?? fallback.slice(0, 64);
      return {
        ref: functionName,
        attributes: { Arn: `arn:${p}:lambda:${region}:${account}:function:${functionName}` },
      };
    }
    case "AWS::IAM::Role": {
      const roleName = name("RoleName") ?? fallback.slice(0, 64);
      return {
        ref: roleName,
        attributes: { Arn: `arn:${p}:iam::${account}:role/${roleName}`, RoleId: short(roleName) },
      };
    }
    case "AWS::Logs::LogGroup": {
      const groupName = name("LogGroupName") ?? `/local/${fallback}`;
      return {
        ref: groupName,
        attributes: { Arn: `arn:${p}:logs:${region}:${account}:log-group:${groupName}:*` },
      };
    }
    case "AWS::KMS::Key": {
      const keyId = `${short(logicalId, 8)}-${short(`${logicalId}1`, 4)}-${short(`${logicalId}2`, 4)}-${short(`${logicalId}3`, 4)}-${short(`${logicalId}4`, 12)}`;
      return {
        ref: keyId,
        attributes: { Arn: `arn:${p}:kms:${region}:${account}:key/${keyId}`, KeyId: keyId },
      };
    }
    case "AWS::SNS::Topic": {
      const topicName = name("TopicName") ?? fallback;
      const arn = `arn:${p}:sns:${region}:${account}:${topicName}`;
      return { ref: arn, attributes: { TopicArn: arn, TopicName: topicName } };
    }
    case "AWS::ApiGateway::RestApi": {
      const apiId = short(`${id.stackName}/${logicalId}`);
      return { ref: apiId, attributes: { RootResourceId: `${apiId}-root`, RestApiId: apiId } };
    }
    case "AWS::ApiGateway::Stage":
      return { ref: name("StageName") ?? logicalId, attributes: {} };
    default:
      return {
        ref: `${logicalId}-${short(logicalId, 8)}`,
        attributes: { Arn: `arn:${p}:local:${region}:${account}:${logicalId}` },
      };
  }
}
