import { App, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { HubStack } from "./hub-stack";
import { applyNagSuppressions } from "./nag-suppressions";
import { stageConfig } from "./stages";

const app = new App();
const stage = stageConfig(app.node.tryGetContext("stage"));

const stack = new HubStack(app, `ComplaintHub-${stage.name}`, {
  stage,
  description: `Complaint Hub (${stage.name}): consumer complaints to e-commerce platforms' after-sale systems`,
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION ?? stage.defaultRegion,
  },
});
Tags.of(app).add("project", "complaint-hub");
Tags.of(app).add("stage", stage.name);

// cdk-nag runs on every synth: an unacknowledged finding stops it.
applyNagSuppressions(stack);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
