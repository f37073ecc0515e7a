import { afterAll, beforeAll } from "vitest";
import { startTestCloud, type TestCloud } from "../e2e/harness";
import { Figures } from "./figures";
import { type LedgerTarget, ledgerTarget } from "./ledger";

/** What a fault suite works with: its own test-stage local cloud, the ledger's view of it, and its figures. */
export interface FaultSuite {
  readonly figures: Figures;
  /** Started in beforeAll: read it inside tests and hooks only. */
  readonly hub: TestCloud;
  readonly target: LedgerTarget;
}

/**
 * Registers a fault suite's setup: a local cloud of its own before the tests, and after them its figures
 * written (for docs/RELIABILITY.md) and the cloud stopped.
 */
export function faultSuite(name: string, file: string): FaultSuite {
  const figures = new Figures(name, file);
  let started: { hub: TestCloud; target: LedgerTarget } | undefined;
  beforeAll(async () => {
    const hub = await startTestCloud();
    started = { hub, target: ledgerTarget(hub.cloud) };
  });
  afterAll(async () => {
    figures.write();
    await started?.hub.stop();
  });
  const running = () => {
    if (!started) throw new Error(`${name}: the local cloud is not started (read it inside tests and hooks)`);
    return started;
  };
  return {
    figures,
    get hub() {
      return running().hub;
    },
    get target() {
      return running().target;
    },
  };
}
