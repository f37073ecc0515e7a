/**
 * The unit prices the cost model uses, and the region they are for: the one place to change them.
 *
 * These are AWS public on-demand list prices for US East (N. Virginia), in USD, without free tiers, savings
 * plans or volume tiers beyond the first. They are a reference: the hub's default region is cn-north-1
 * (Beijing, operated by Sinnet), which publishes its own price list in CNY at https://www.amazonaws.cn/en/pricing/
 * — to price that region, replace the values below (and the currency) with that list's; the arithmetic does
 * not change. Check every value against the linked page before relying on the result.
 */
export const PRICES = {
  region: "us-east-1",
  currency: "USD",
  note: "AWS public on-demand list prices, first tier, no free tier (check the pages before relying on them)",
  /** REST API: per million requests (first 333 million a month). */
  apiGatewayRestPerMillionRequests: 3.5,
  /** Lambda: per million requests, any architecture. */
  lambdaPerMillionRequests: 0.2,
  /** Lambda on Arm (Graviton): per GB-second, first 7.5 billion GB-s a month. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand (since the November 2024 price change): per million write request units. */
  dynamoDbPerMillionWriteUnits: 0.625,
  /** DynamoDB on-demand: per million read request units. */
  dynamoDbPerMillionReadUnits: 0.125,
  /** DynamoDB Streams read by a Lambda trigger: free (GetRecords by Lambda is not charged). */
  dynamoDbStreamReadsByLambda: 0,
  /** DynamoDB standard table class storage: per GB-month. */
  dynamoDbStoragePerGbMonth: 0.25,
  /** Point-in-time recovery (continuous backups): per GB-month of table size. */
  dynamoDbPitrPerGbMonth: 0.2,
  /** EventBridge custom events: per million events put (each 64 KB chunk counts as one). */
  eventBridgePerMillionEvents: 1.0,
  /** EventBridge archive: per GB of events archived (processing), plus storage below. */
  eventBridgeArchivePerGb: 0.1,
  /** EventBridge archive storage: per GB-month. */
  eventBridgeArchiveStoragePerGbMonth: 0.023,
  /** SQS standard queues: per million requests (each 64 KB chunk of a request counts as one). */
  sqsPerMillionRequests: 0.4,
  /** KMS: per 10,000 requests (symmetric). */
  kmsPer10kRequests: 0.03,
  /** KMS: per customer managed key per month. */
  kmsPerKeyMonth: 1.0,
  /** Secrets Manager: per secret per month. */
  secretsManagerPerSecretMonth: 0.4,
  /** Secrets Manager: per 10,000 API calls. */
  secretsManagerPer10kCalls: 0.05,
  /** CloudWatch Logs (standard class): per GB ingested. */
  cloudWatchLogsPerGbIngested: 0.5,
  /** CloudWatch Logs: bytes of metadata billed per log event on top of its text. */
  cloudWatchLogsEventOverheadBytes: 26,
  /** X-Ray: per million traces recorded. */
  xrayPerMillionTracesRecorded: 5.0,
  /** Data transfer out to the internet (the platforms' after-sale APIs): per GB, first 10 TB a month. */
  dataTransferOutPerGb: 0.09,
  sources: {
    apiGateway: "https://aws.amazon.com/api-gateway/pricing/",
    lambda: "https://aws.amazon.com/lambda/pricing/",
    dynamoDb: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    eventBridge: "https://aws.amazon.com/eventbridge/pricing/",
    sqs: "https://aws.amazon.com/sqs/pricing/",
    kms: "https://aws.amazon.com/kms/pricing/",
    secretsManager: "https://aws.amazon.com/secrets-manager/pricing/",
    cloudWatch: "https://aws.amazon.com/cloudwatch/pricing/",
    xray: "https://aws.amazon.com/xray/pricing/",
    dataTransfer: "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer",
    chinaRegions: "https://www.amazonaws.cn/en/pricing/",
  },
};

export type Prices = typeof PRICES;
