/**
 * Carries out the boot decision on the platform: jump, count a trial boot, install a staged image
 * by swapping it with the application (the previous image stays in the staging slot, restorable),
 * roll back, or hand over to update mode.
 */
import type { Platform, Region } from "../platform/contract";
import { REQUEST_UPDATE } from "../platform/contract";
import { MARK_REJECTED, STATUS_ATTEMPTS, STATUS_REJECTED, hex, le32 } from "../image/header";
import { BootDecision, decide } from "./policy";
import { SlotView, readSlot } from "./slots";

const COPY_CHUNK = 1024;

function mark(p: Platform, addr: number, value: number): void {
  p.flash.write(le32(value), addr);
}

function copy(p: Platform, from: number, to: number, length: number): void {
  for (let off = 0; off < length; off += COPY_CHUNK) {
    const n = Math.min(COPY_CHUNK, length - off);
    p.flash.write(p.flash.read(n, from + off), to + off);
  }
  if (p.flash.crc32(from, length) !== p.flash.crc32(to, length)) throw new Error("copy to " + hex(to) + " did not verify");
}

/** Swap the first `length` bytes of two slots sector by sector through the scratch sector. */
export function swapSlots(p: Platform, a: Region, b: Region, scratch: Region, length: number): void {
  for (let off = 0; off < length; ) {
    const page = p.flash.getPage(a.addr + off)!;
    const n = page.length;
    if (n > scratch.size) throw new Error("sector at " + hex(page.addr) + " is larger than the scratch area");
    p.flash.erasePage(scratch.addr);
    copy(p, a.addr + off, scratch.addr, n);
    p.flash.erasePage(a.addr + off);
    copy(p, b.addr + off, a.addr + off, n);
    p.flash.erasePage(b.addr + off);
    copy(p, scratch.addr, b.addr + off, n);
    off += n;
  }
}

function span(v: SlotView): number {
  return v.header ? v.header.headerSize + v.header.imageSize : 0;
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
  const requested = p.boot.getRequest() === REQUEST_UPDATE;
  if (requested) p.boot.setRequest(0);
  const button = p.boot.buttonAtReset();
  const steps: string[] = [];
  for (let round = 0; round < 3; round++) {
    const app = readSlot(p.flash, p.E.CRC32, board.app, true);
    const staging = board.mode === "staged" && board.staging ? readSlot(p.flash, p.E.CRC32, board.staging, true) : null;
    const d = decide({ button: button, requested: requested, mode: board.mode, app: app, staging: staging, trialAttempts: board.trialAttempts });
    steps.push(d.action + ": " + d.reason);
    p.boot.log("boot: " + d.action + " (" + d.reason + ")");
    if (d.action === "run" || d.action === "trial") {
      if (d.action === "trial") mark(p, board.app.addr + STATUS_ATTEMPTS + 4 * app.attempts, 0);
      p.boot.jump(board.app.addr + board.headerSize);
      return { decision: d, steps: steps };
    }
    if (d.action === "update") return { decision: d, steps: steps };
    const length = Math.max(span(app), span(staging!));
    swapSlots(p, board.app, board.staging!, board.scratch!, length);
    // After a rollback the staging slot holds the image that failed its trial: never install it again.
    if (d.action === "rollback" && app.valid) mark(p, board.staging!.addr + STATUS_REJECTED, MARK_REJECTED);
  }
  return { decision: { action: "update", reason: "boot policy did not settle" }, steps: steps };
}
