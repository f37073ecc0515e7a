import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { tracer } from "../observability";

export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
