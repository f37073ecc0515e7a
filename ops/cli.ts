/**
 * `npm run ops -- <command>`: the association's operators' command line, against a deployed stage or the local
 * cloud (ops/target.ts). Commander wiring only: each command group lives in ops/commands/. Exit codes: EXIT in
 * ops/output.ts (0 ok, 1 failure, 2 usage, 3 not found, 4 refused by the lifecycle, 130 interrupted).
 */
import { createInterface } from "node:readline/promises";
import { pathToFileURL } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { IllegalTransitionError } from "../shared/lifecycle/state-machine";
import { ComplaintNotFoundError, OperatorRequestError } from "../shared/operator/operator-actions";
import { DEFAULT_OVERLAP_HOURS } from "../shared/operator/secret-rotation";
import { VersionConflictError } from "../shared/store/complaint-store";
import { complaintShowCommand } from "./commands/complaint";
import { dlqListCommand, dlqShowCommand } from "./commands/dlq";
import {
  closureReasonsHelp,
  LIFECYCLE_ACTIONS,
  refusalReasonsHelp,
  transitionCommand,
} from "./commands/lifecycle";
import { platformListCommand, rotateSecretCommand } from "./commands/platform";
import { redriveCommand } from "./commands/redrive";
import { replayCommand } from "./commands/replay";
import { statsCommand } from "./commands/stats";
import { statusCommand } from "./commands/status";
import { type GlobalOptions, OpsContext } from "./context";
import { EXIT, type Io, OpsError } from "./output";
import type { Target, TargetOptions } from "./target";

const EXIT_CODES_HELP = `
Exit codes:
  0    ok
  1    failure (AWS refused, target unreachable, a redrive or replay failed)
  2    usage error (unknown command or option, bad value, confirmation needed)
  3    not found (complaint, platform, message, stack)
  4    refused by the lifecycle (the complaint's status does not allow it), or a rotation still overlapping
  130  interrupted (Ctrl-C); a running redrive or replay was cancelled

Target: --local uses the local cloud npm start runs (<state-dir>/<stage>/endpoints.json); --aws a deployed
stage (default credential chain and region, outputs of the stack ComplaintHub-<stage>); neither: the local
cloud when one runs, else AWS.`;

/** Runs one command line; returns the exit code. `resolveTarget` is for tests. */
export async function runOps(
  argv: readonly string[],
  io: Io,
  resolveTarget?: (options: TargetOptions) => Promise<Target>,
): Promise<number> {
  let context: OpsContext | undefined;
  let exitCode: number = EXIT.ok;
  const program = new Command("ops");
  const contextOf = (command: Command): OpsContext => {
    context ??= new OpsContext(io, command.optsWithGlobals() as GlobalOptions, resolveTarget);
    return context;
  };
  /** Wraps a command's action: its context, its exit code. */
  const run =
    <A extends unknown[]>(action: (context: OpsContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      exitCode = await action(contextOf(command), ...(args.slice(0, -1) as A));
    };

  program
    .description(
      "Operate Complaint Hub: queues, dead letters, redrive, replay, complaints, secrets, statistics",
    )
    .addOption(new Option("--stage <stage>", "stage").env("HUB_STAGE").default("dev"))
    .option("--local", "the local cloud (npm start)")
    .option("--aws", "the deployed stage (AWS credentials)")
    .addOption(
      new Option("--state-dir <dir>", "the local cloud's state folder").env("HUB_STATE_DIR").default(".hub"),
    )
    .option("--json", "print one JSON document (for scripts)")
    .option("--no-color", "no colours (also: NO_COLOR, or when not a terminal)")
    .addOption(new Option("--operator <name>", "who acts (recorded in timelines)").env("OPS_OPERATOR"))
    .addHelpText("after", EXIT_CODES_HELP)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command("status")
    .description(
      "Per platform: queue depth, parked (DLQ), oldest message, deliveries and failures in the last hour, overdue",
    )
    .option("--platform <id...>", "only these platforms")
    .action(run((context, options: { platform?: string[] }) => statusCommand(context, options)));

  const dlq = program.command("dlq").description("What is parked in the dead-letter queues, and why");
  dlq
    .command("list <platform>")
    .description("The messages parked for a platform: complaint, time, attempts, reason")
    .option("--limit <n>", "show at most n", positiveInteger, 50)
    .action(
      run((context, platform: string, options: { limit: number }) =>
        dlqListCommand(context, platform, options),
      ),
    );
  dlq
    .command("show <message>")
    .description("One parked message: its notice, reason and the recorded delivery attempts")
    .option("--platform <id>", "look in this platform's DLQ only (default: all)")
    .option("--limit <n>", "messages to look through per queue", positiveInteger, 200)
    .action(
      run((context, message: string, options: { platform?: string; limit: number }) =>
        dlqShowCommand(context, message, options),
      ),
    );

  program
    .command("redrive <platform>")
    .description("Send a platform's parked notices back to its queue (SQS message move task), with progress")
    .option("--message <id>", "only this message (an urgent notice goes to the urgent queue)")
    .option("--rate <n>", "messages per second (1-500)", rateOption, 10)
    .option("--limit <n>", "messages to look through for --message", positiveInteger, 200)
    .action(
      run((context, platform: string, options: { message?: string; rate: number; limit: number }) =>
        redriveCommand(context, platform, options),
      ),
    );

  program
    .command("replay")
    .description(
      "Replay archived notices from the bus: preview per platform, confirm, rate-limited, Ctrl-C cancels",
    )
    .requiredOption("--from <time>", "start: ISO 8601 time, or an age (90m, 2h, 3d)")
    .option("--to <time>", "end: ISO 8601 time, an age, or now (default)")
    .option("--platform <id>", "only this platform's notices")
    .option("--rate <n>", "events per second at most", positiveNumber, 5)
    .option("--batch <n>", "events per replay at most", positiveInteger, 50)
    .option("--preview", "show the preview only")
    .option("-y, --yes", "replay without asking")
    .action(
      run(
        (
          context,
          options: {
            from: string;
            to?: string;
            platform?: string;
            rate: number;
            batch: number;
            preview?: boolean;
            yes?: boolean;
          },
        ) =>
          replayCommand(context, {
            from: options.from,
            rate: options.rate,
            batch: options.batch,
            ...(options.to ? { to: options.to } : {}),
            ...(options.platform ? { platform: options.platform } : {}),
            ...(options.yes ? { yes: true } : {}),
            ...(options.preview ? { previewOnly: true } : {}),
          }),
      ),
    );

  const complaint = program.command("complaint").description("One complaint, as the operators see it");
  complaint
    .command("show <id>")
    .description(
      "Status, deadlines, timeline with internal entries, messages, delivery attempts (personal data masked)",
    )
    .option("--reveal", "show the personal data (recorded in the complaint's timeline, naming you)")
    .option("--note <why>", "why you reveal it (kept with the record)")
    .action(
      run((context, id: string, options: { reveal?: boolean; note?: string }) =>
        complaintShowCommand(context, id, options),
      ),
    );

  for (const [name, { summary }] of Object.entries(LIFECYCLE_ACTIONS)) {
    program
      .command(`${name} <id>`)
      .description(summary)
      .option("--note <text>", "a note for the timeline")
      .action(
        run((context, id: string, options: { note?: string }) =>
          transitionCommand(context, name, id, options),
        ),
      );
  }
  program
    .command("reroute <id>")
    .description(
      "Send a complaint to another platform (a new notice; a non-member goes to the association's triage)",
    )
    .requiredOption("--to <platform>", "the platform it belongs to")
    .option("--note <text>", "a note for the timeline")
    .action(
      run((context, id: string, options: { to: string; note?: string }) =>
        transitionCommand(context, "reroute", id, options),
      ),
    );
  program
    .command("close <id>")
    .description("Close a complaint with a reason code (settled, or mediation ended: SAMR Art 24)")
    .requiredOption("--reason <code>", "the closure reason (see below)")
    .option("--note <text>", "a note for the timeline (default: the reason's text)")
    .addHelpText("after", `\nReasons:\n${closureReasonsHelp()}`)
    .action(
      run((context, id: string, options: { reason: string; note?: string }) =>
        transitionCommand(context, "close", id, options),
      ),
    );
  program
    .command("refuse <id>")
    .description("Refuse a complaint under review (SAMR Art 15: not accepted) with a reason code")
    .requiredOption("--reason <code>", "the Art 15 reason (see below)")
    .option("--note <text>", "a note for the timeline")
    .addHelpText("after", `\nReasons:\n${refusalReasonsHelp()}`)
    .action(
      run((context, id: string, options: { reason: string; note?: string }) =>
        transitionCommand(context, "refuse", id, options),
      ),
    );
  program
    .command("note <id> <text>")
    .description("An internal note on an open complaint (consumers and platforms do not see it)")
    .action(run((context, id: string, text: string) => transitionCommand(context, "note", id, { text })));

  const platform = program
    .command("platform")
    .description("The platforms of the registry, and their secrets");
  platform
    .command("list")
    .description("Every platform of the registry: id, names, member, push or pull, enabled")
    .action(run((context) => platformListCommand(context)));
  platform
    .command("rotate-secret <id>")
    .description("A new webhook secret, printed once; the old one stays valid for the overlap")
    .option("--overlap <hours>", "how long the old secret stays valid", positiveNumber, DEFAULT_OVERLAP_HOURS)
    .option("--force", "rotate even while the last rotation still overlaps")
    .action(
      run((context, id: string, options: { overlap: number; force?: boolean }) =>
        rotateSecretCommand(context, id, options),
      ),
    );

  program
    .command("stats")
    .description("The public statistics, and the internal figures per platform (unsuppressed)")
    .option("--csv", "the internal figures as CSV")
    .action(run((context, options: { csv?: boolean }) => statsCommand(context, options)));

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, io, context);
  } finally {
    await context?.close();
  }
}

function reportError(error: unknown, io: Io, context: OpsContext | undefined): number {
  if (error instanceof CommanderError) {
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.exitCode === 0
    ) {
      return EXIT.ok;
    }
    // commander.help: a command group named without a subcommand; the help was shown on stderr.
    return EXIT.usage;
  }
  const code = exitCodeOf(error);
  const message =
    error instanceof IllegalTransitionError
      ? `Refused by the lifecycle: an operator cannot move a complaint from ${error.from} to ${error.to}`
      : error instanceof Error
        ? error.message
        : String(error);
  const c = context?.out.colors;
  io.stderr.write(`${c ? c.red("error:") : "error:"} ${message}\n`);
  if (context?.out.json)
    io.stdout.write(`${JSON.stringify({ error: { message, exitCode: code } }, null, 2)}\n`);
  if (code === EXIT.failure && !(error instanceof OpsError) && io.env.OPS_DEBUG && error instanceof Error) {
    io.stderr.write(`${error.stack}\n`);
  }
  return code;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof OpsError) return error.exitCode;
  if (error instanceof ComplaintNotFoundError) return EXIT.notFound;
  if (error instanceof IllegalTransitionError) return EXIT.refused;
  // A reason code or platform id that does not exist is a usage error; the rest depends on the complaint's state
  // (already routed there, not in mediation, not paused): refused.
  if (error instanceof OperatorRequestError) {
    return /^Unknown|is not a platform id|must be named/.test(error.message) ? EXIT.usage : EXIT.refused;
  }
  if (error instanceof VersionConflictError) return EXIT.failure;
  const name = (error as { name?: string })?.name ?? "";
  if (name === "ResourceNotFoundException" || name === "QueueDoesNotExist") return EXIT.notFound;
  return EXIT.failure;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a positive whole number");
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("a positive number");
  return n;
}

function rateOption(value: string): number {
  const n = positiveInteger(value);
  if (n > 500) throw new InvalidArgumentError("at most 500 (SQS's limit)");
  return n;
}

/** The process's own streams, a yes/no prompt on a terminal, and Ctrl-C as an abort. */
export function processIo(): Io & { dispose(): void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    // A second Ctrl-C stops at once; the first lets the command cancel what runs and report.
    if (interrupts > 1) process.exit(EXIT.cancelled);
    process.stderr.write("\nInterrupted: cancelling…\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    interrupt: controller.signal,
    ...(process.stdin.isTTY && process.stdout.isTTY
      ? {
          confirm: async (question: string) => {
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            try {
              return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
            } finally {
              rl.close();
            }
          },
        }
      : {}),
    dispose: () => process.off("SIGINT", onSigint),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // The SDK's notice about future Node versions is for developers, not for an operator's terminal.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const io = processIo();
  const code = await runOps(process.argv.slice(2), io);
  io.dispose();
  process.exit(code);
}
