import { rmSync } from "node:fs";
import { FIGURES_DIR } from "./figures";

/** Each run's figures stand alone: what an earlier run wrote is gone before the suites start. */
export default function setup(): void {
  rmSync(FIGURES_DIR, { recursive: true, force: true });
}
