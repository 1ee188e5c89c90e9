/**
 * The boot decision: a pure function from what the board sees at reset to what it does.
 * The README's decision table is this function, row by row; test/boot-policy.test.mjs checks each row.
 */
import type { SlotView } from "./slots";
import { MAX_ATTEMPT_WORDS } from "../image/header";

export type BootAction = "update" | "run" | "trial" | "install" | "rollback";

export interface BootInputs {
  /** Button held at reset. */
  button: boolean;
  /** The application asked for update mode (boot-request word). */
  requested: boolean;
  mode: "direct" | "staged";
  app: SlotView;
  /** Staging slot (staged mode only). */
  staging: SlotView | null;
  /** Boots a new image gets before the previous one is restored (at most the 8 attempt words). */
  trialAttempts: number;
}

export interface BootDecision {
  action: BootAction;
  reason: string;
}

/** A staged image that has never been installed or booted. */
export function isFreshStaged(s: SlotView | null): boolean {
  return !!s && s.valid && !s.confirmed && !s.installed && s.attempts === 0;
}

/** A previous image kept in the staging slot after an install: restorable. */
export function isPrevious(s: SlotView | null): boolean {
  return !!s && s.valid && s.confirmed;
}

export function decide(i: BootInputs): BootDecision {
  const app = i.app;
  const staged = i.mode === "staged";
  if (i.button) return { action: "update", reason: "button held at reset" };
  if (i.requested) return { action: "update", reason: "the application asked for update mode" };
  if (staged && isFreshStaged(i.staging)) return { action: "install", reason: "new image " + i.staging!.version + " staged" };
  if (app.valid && app.confirmed) return { action: "run", reason: "application " + app.version + " is confirmed" };
  if (app.valid && app.attempts < Math.min(i.trialAttempts, MAX_ATTEMPT_WORDS)) {
    return { action: "trial", reason: "trial boot " + (app.attempts + 1) + " of " + i.trialAttempts + " for " + app.version };
  }
  if (staged && isPrevious(i.staging)) {
    return {
      action: "rollback",
      reason: app.valid
        ? "application " + app.version + " did not confirm itself in " + i.trialAttempts + " boots: restoring " + i.staging!.version
        : "application slot " + (app.problem || "invalid") + ": restoring " + i.staging!.version,
    };
  }
  if (app.valid) return { action: "update", reason: "application " + app.version + " did not confirm itself in " + i.trialAttempts + " boots and no previous image is kept" };
  return { action: "update", reason: "no valid application (" + (app.problem || "invalid") + ")" };
}
