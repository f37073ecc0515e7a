import { Duration } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";
import { GSI_BY_DEADLINE } from "../../shared/store/indexes";
import type { StageConfig } from "../stages";
import type { ComplaintTable } from "./complaint-table";
import { HubFunction } from "./hub-function";

/** How often the chase runs: a deadline is acted on at most this long after it passes. */
export const CHASE_RATE = Duration.minutes(5);

/**
 * The chase (DESIGN: Lifecycle): a schedule on the default bus runs a function that finds complaints past their
 * running deadline through the byDeadline index and moves each one step (OVERDUE → SUPERVISED →
 * ASSOCIATION_MEDIATION → CLOSED; an unanswered resolution → CLOSED).
 */
export class DeadlineChase extends Construct {
  readonly function: HubFunction;
  readonly rule: Rule;

  constructor(
    scope: Construct,
    id: string,
    props: { stage: StageConfig; table: ComplaintTable; encryptionKey: IKey },
  ) {
    super(scope, id);
    const { stage, table } = props;
    this.function = new HubFunction(this, "Function", {
      handlerFile: "chase-deadlines",
      serviceName: "chase-deadlines",
      description: "Moves complaints past their deadline along the chase (schedule)",
      stage,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(4),
      // One run at a time: overlapping runs would be safe (conditional writes) but only waste reads.
      reservedConcurrentExecutions: 1,
      environment: { TABLE_NAME: table.table.tableName },
    });
    table.grantItems(this.function, ["Query"], [GSI_BY_DEADLINE]);
    // Fresh reads and the conditional lifecycle write (TransactWriteItems needs the item actions it performs).
    table.grantItems(this.function, ["GetItem", "UpdateItem"]);

    this.rule = new Rule(this, "Schedule", {
      ruleName: `complaint-hub-${stage.name}-chase-deadlines`,
      description: "Runs the deadline chase",
      schedule: Schedule.rate(CHASE_RATE),
      // A missed run is made up by the next one: the chase works from the index, not from the event.
      targets: [new LambdaFunction(this.function, { retryAttempts: 0, maxEventAge: Duration.minutes(5) })],
    });
  }
}
