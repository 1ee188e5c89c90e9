/**
 * Carries out the boot decision on the platform: jump, count a trial boot, install a staged image
 * by swapping it with the application (the previous image stays in the staging slot, restorable),
 * roll back, or hand over to update mode.
 *
 * The swap goes sector by sector through the scratch sector, each phase logged in the boot-state
 * record (record.ts) once done and verified. A swap the log shows begun and not done is finished
 * first, before anything else is decided: every phase can be done again from its source, which the
 * phase before left intact, so a cut anywhere (even in the middle of an erase) loses nothing.
 */
import type { BoardInfo, Platform, Region } from "../platform/contract";
import { REQUEST_UPDATE } from "../platform/contract";
import { MARK_INSTALLED, MARK_REJECTED, MAX_ATTEMPT_WORDS, STATUS_ATTEMPTS, STATUS_INSTALLED, STATUS_REJECTED, hex } from "../image/header";
import { BootDecision, decide } from "./policy";
import { markOnce, readSlot, span } from "./slots";
import { KIND_INSTALL, KIND_ROLLBACK, LogState, TAG_BEGIN, TAG_DONE, TAG_STEP, appendLog, makeRoom, readLog } from "./record";

const COPY_CHUNK = 8192;

function copy(p: Platform, from: number, to: number, length: number): void {
  p.flash.erasePage(to);
  for (let off = 0; off < length; off += COPY_CHUNK) {
    const n = Math.min(COPY_CHUNK, length - off);
    p.flash.write(p.flash.read(n, from + off), to + off);
  }
  if (p.flash.crc32(from, length) !== p.flash.crc32(to, length)) throw new Error("copy to " + hex(to) + " did not verify");
}

/**
 * Swap the first `length` bytes of the application and staging slots through the scratch sector,
 * continuing after step (sector, phase) of the log, then mark the image now in the staging slot
 * (installed, or rejected after a rollback) and log the swap done.
 */
export function runSwap(p: Platform, board: BoardInfo, st: LogState, kind: number, length: number, sector: number, phase: number): void {
  const a = board.app, b = board.staging!, s = board.scratch!, rec = board.record!;
  for (let k = 0, off = 0; off < length; k++) {
    const n = Math.min(p.flash.getPage(a.addr + off)!.length, length - off);
    if (n > s.size) throw new Error("slot sector larger than the scratch sector");
    for (let ph = 1; ph <= 3; ph++) {
      if (k < sector || (k === sector && ph <= phase)) continue;
      if (ph === 1) copy(p, a.addr + off, s.addr, n);
      else if (ph === 2) copy(p, b.addr + off, a.addr + off, n);
      else copy(p, s.addr, b.addr + off, n);
      appendLog(p.flash, p.E.CRC32, rec, st, TAG_STEP, k, ph);
    }
    off += n;
  }
  // After a rollback the staging slot holds the image that failed its trial: never install it again.
  // After an install it holds the previous image: restorable, but never "new" again.
  if (kind === KIND_ROLLBACK) markOnce(p.flash, b.addr + STATUS_REJECTED, MARK_REJECTED);
  else markOnce(p.flash, b.addr + STATUS_INSTALLED, MARK_INSTALLED);
  appendLog(p.flash, p.E.CRC32, rec, st, TAG_DONE, kind, 0);
}

export interface BootResult {
  decision: BootDecision;
  /** Decisions taken on the way (an install is followed by the trial boot of the new image). */
  steps: string[];
}

/**
 * Decide and act. Returns only when the board is to stay in update mode (or, on the host, after
 * the simulated jump); on a chip a run or trial ends in Boot.jump().
 */
export function bootMain(p: Platform): BootResult {
  const board = p.boot.board();
  const flash = p.flash, crc = p.E.CRC32;
  const steps: string[] = [];
  const say = function (action: string, why: string) {
    steps.push(action + ": " + why);
    p.boot.log("boot: " + action + " (" + why + ")");
  };
  const staged = board.mode === "staged" && !!board.staging && !!board.record;
  const st = staged ? readLog(flash, crc, board.record!) : null;
  const q = st && st.pending;
  if (q) {
    // A swap cut short by a reset or a power cut: finish it before anything else.
    say("resume", (q.kind === KIND_ROLLBACK ? "rollback" : "install") + " interrupted after sector " + q.sector + " phase " + q.phase);
    runSwap(p, board, st!, q.kind, q.length, q.sector, q.phase);
  }
  const requested = p.boot.getRequest() === REQUEST_UPDATE;
  if (requested) p.boot.setRequest(0);
  const button = p.boot.buttonAtReset();
  // "unconfirmed": decide on the marks first; only a confirmed image that is to run skips the payload
  // CRC. Any other decision (trial, install, rollback) is taken again with every CRC recomputed.
  let full = board.verifyAtBoot !== "unconfirmed";
  for (let round = 0; round < 3; round++) {
    const app = readSlot(flash, crc, board.app, full);
    const staging = staged ? readSlot(flash, crc, board.staging!, full) : null;
    const d = decide({ button: button, requested: requested, mode: board.mode, app: app, staging: staging, trialAttempts: board.trialAttempts });
    if (!full && !(d.action === "run" && app.confirmed) && d.action !== "update") {
      full = true;
      round--;
      continue;
    }
    say(d.action, d.reason + (full || d.action !== "run" ? "" : "; confirmed image, payload CRC not recomputed"));
    if (d.action === "run" || d.action === "trial") {
      if (d.action === "trial") {
        // The next erased attempt word (a torn one counts as an attempt and is passed over).
        for (let i = 0; i < MAX_ATTEMPT_WORDS && !markOnce(flash, board.app.addr + STATUS_ATTEMPTS + 4 * i, 0); i++);
      }
      p.boot.jump(board.app.addr + board.headerSize);
      return { decision: d, steps: steps };
    }
    if (d.action === "update") return { decision: d, steps: steps };
    const kind = d.action === "rollback" ? KIND_ROLLBACK : KIND_INSTALL;
    const length = Math.max(span(app, board.app), span(staging, board.staging!));
    const sectors = sectorsIn(p, board.app, length);
    makeRoom(flash, board.record!, st!, 2 + 3 * sectors);
    appendLog(flash, crc, board.record!, st!, TAG_BEGIN, kind, length);
    runSwap(p, board, st!, kind, length, -1, 3);
  }
  return { decision: { action: "update", reason: "boot policy did not settle" }, steps: steps };
}

function sectorsIn(p: Platform, r: Region, length: number): number {
  let k = 0;
  for (let off = 0; off < length; k++) off += p.flash.getPage(r.addr + off)!.length;
  return k;
}
