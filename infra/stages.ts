/**
 * Stage settings (`-c stage=<name>`). `dev` and `test` run against the local cloud's sandbox platforms (on
 * different ports, so `npm test` can run beside `npm start`);
 * `prod` takes its platform endpoints and principals from deployment data and keeps its data.
 * Tests shorten retry schedules through the `test` stage, never through another code path.
 */
export interface RetrySchedule {
  /** First retry delay; doubles per attempt (equal jitter), capped at maxDelaySeconds. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** Deliveries tried before the message goes to the DLQ (= the queue's maxReceiveCount). */
  maxAttempts: number;
}

export interface StageConfig {
  name: string;
  /** Region used when the deploying environment names none (CDK_DEFAULT_REGION wins). */
  defaultRegion: string;
  /** Real platforms: endpoints and pull principals must come from deployment data. */
  realPlatforms: boolean;
  /** Base URL of the local sandbox after-sale APIs, for stages that use them. */
  sandboxBaseUrl?: string;
  retainData: boolean;
  api: { rateLimit: number; burstLimit: number };
  delivery: { retry: RetrySchedule; batchSize: number; maxBatchingWindowSeconds: number };
  publish: { retryAttempts: number; maxRecordAgeHours: number };
  /** Seconds a message may wait in a platform queue before the oldest-message alarm fires. */
  oldestMessageAlarmSeconds: number;
  logRetentionDays: 7 | 30 | 90 | 365;
}

export const STAGES: Readonly<Record<string, StageConfig>> = {
  dev: {
    name: "dev",
    defaultRegion: "cn-north-1",
    realPlatforms: false,
    sandboxBaseUrl: "http://127.0.0.1:4010",
    retainData: false,
    api: { rateLimit: 50, burstLimit: 100 },
    delivery: {
      retry: { baseDelaySeconds: 10, maxDelaySeconds: 300, maxAttempts: 8 },
      batchSize: 5,
      maxBatchingWindowSeconds: 0,
    },
    publish: { retryAttempts: 10, maxRecordAgeHours: 24 },
    oldestMessageAlarmSeconds: 15 * 60,
    logRetentionDays: 7,
  },
  test: {
    name: "test",
    defaultRegion: "cn-north-1",
    realPlatforms: false,
    sandboxBaseUrl: "http://127.0.0.1:4610",
    retainData: false,
    api: { rateLimit: 500, burstLimit: 1000 },
    delivery: {
      retry: { baseDelaySeconds: 1, maxDelaySeconds: 2, maxAttempts: 3 },
      batchSize: 5,
      maxBatchingWindowSeconds: 0,
    },
    publish: { retryAttempts: 5, maxRecordAgeHours: 1 },
    oldestMessageAlarmSeconds: 60,
    logRetentionDays: 7,
  },
  prod: {
    name: "prod",
    defaultRegion: "cn-north-1",
    realPlatforms: true,
    retainData: true,
    // DESIGN sizing: about 20 complaints/s provisioned, bursts absorbed up to 40.
    api: { rateLimit: 20, burstLimit: 40 },
    delivery: {
      // 30 s, 60 s, ... capped at 1 h: 12 attempts span about 7 hours before the DLQ.
      retry: { baseDelaySeconds: 30, maxDelaySeconds: 3600, maxAttempts: 12 },
      batchSize: 5,
      maxBatchingWindowSeconds: 1,
    },
    publish: { retryAttempts: 20, maxRecordAgeHours: 24 },
    oldestMessageAlarmSeconds: 60 * 60,
    logRetentionDays: 365,
  },
};

export function stageConfig(name: unknown): StageConfig {
  const known = Object.keys(STAGES);
  // Own keys only: `name in STAGES` would accept "constructor", "toString", "__proto__"...
  if (typeof name !== "string" || !Object.hasOwn(STAGES, name)) {
    throw new Error(`Unknown stage ${JSON.stringify(name)}: pass -c stage=<${known.join("|")}>`);
  }
  return STAGES[name] as StageConfig;
}
