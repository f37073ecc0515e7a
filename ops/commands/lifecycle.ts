/**
 * The operator transitions (`supervise`, `mediate`, `reroute`, `close`, `refuse`, `note`, `pause-mediation`,
 * `resume-mediation`): each one an action of shared/operator/operator-actions.ts, so the state machine decides
 * and every entry names the operator. A transition the complaint's status does not allow exits with 4.
 */
import type { ComplaintRecord } from "../../shared/complaint/record";
import {
  CLOSURE_REASONS,
  NOT_ACCEPTED_REASONS,
  OPERATOR_CLOSURE_REASONS,
} from "../../shared/lifecycle/reasons";
import {
  addOperatorNote,
  closeComplaint,
  mediate,
  type OperatorDependencies,
  type OperatorRequest,
  pauseMediation,
  refuseComplaint,
  reroute,
  resumeMediation,
  supervise,
} from "../../shared/operator/operator-actions";
import type { OpsContext } from "../context";
import { usageError } from "../output";
import { statusColor } from "./complaint";

type Action = (deps: OperatorDependencies, request: OperatorRequest) => Promise<ComplaintRecord>;

export const LIFECYCLE_ACTIONS = {
  supervise: {
    action: supervise,
    summary: "OVERDUE → SUPERVISED (督办) ahead of the schedule: 3 more working days",
  },
  mediate: {
    action: mediate,
    summary: "SUPERVISED, or a disputed resolution (AWAITING_CONSUMER_CONFIRMATION) → ASSOCIATION_MEDIATION",
  },
  "pause-mediation": {
    action: pauseMediation,
    summary: "Mediation waits for testing or appraisal: its 45 working days stop (SAMR Art 23)",
  },
  "resume-mediation": {
    action: resumeMediation,
    summary: "Testing or appraisal is done: the mediation limit moves out by the days it took",
  },
} satisfies Record<string, { action: Action; summary: string }>;

export async function transitionCommand(
  context: OpsContext,
  name: string,
  complaintId: string,
  options: { note?: string; to?: string; reason?: string; text?: string },
): Promise<number> {
  if (!context.operator) throw usageError("Name yourself: --operator <name> or OPS_OPERATOR");
  const deps = await context.operatorDependencies();
  const before = await deps.store.get(complaintId);
  const request: OperatorRequest = {
    complaintId,
    operator: context.operator,
    ...(options.note ? { note: options.note } : {}),
  };
  let after: ComplaintRecord;
  switch (name) {
    case "reroute":
      after = await reroute(deps, { ...request, to: options.to as string });
      break;
    case "close":
      after = await closeComplaint(deps, { ...request, reason: options.reason as string });
      break;
    case "refuse":
      after = await refuseComplaint(deps, { ...request, reason: options.reason as string });
      break;
    case "note":
      after = await addOperatorNote(deps, { ...request, note: options.text as string });
      break;
    default: {
      const entry = LIFECYCLE_ACTIONS[name as keyof typeof LIFECYCLE_ACTIONS];
      if (!entry) throw usageError(`Unknown action ${name}`);
      after = await entry.action(deps, request);
    }
  }
  const entries = after.timeline.slice(before?.timeline.length ?? 0);
  const out = context.out;
  out.result(
    {
      complaintId,
      action: name,
      operator: context.operator,
      from: before?.status ?? null,
      status: after.status,
      platform: after.platform,
      version: after.version,
      entries,
    },
    () => {
      const moved = before && before.status !== after.status ? `${before.status} → ` : "";
      out.line(
        `${out.colors.bold(complaintId)}: ${moved}${statusColor(context, after.status)}${
          name === "reroute" ? ` (now routed to ${after.platform})` : ""
        }, recorded by ${context.operator}.`,
      );
    },
  );
  return 0;
}

/** For --help: the codes an operator may close or refuse with. */
export const closureReasonsHelp = () =>
  OPERATOR_CLOSURE_REASONS.map((code) => `  ${code}: ${CLOSURE_REASONS[code]}`).join("\n");
export const refusalReasonsHelp = () =>
  Object.entries(NOT_ACCEPTED_REASONS)
    .map(([code, label]) => `  ${code}: ${label}`)
    .join("\n");
