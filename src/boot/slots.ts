/**
 * What a slot holds, read from its header and status words. Shared by the boot policy and the
 * update servers' status report.
 *
 * A power cut while a status word is programmed leaves it torn: neither erased nor its mark. The
 * reading is conservative: an image is valid or confirmed only with the exact mark (a torn confirm is
 * retried in a spare confirm word); a boot attempt, "installed" or "rejected" counts as soon as its
 * word is not erased.
 */
import type { FlashModule, Region } from "../platform/contract";
import {
  Crc32, ImageHeader, CONFIRM_WORDS, ERASED, FIXED_SIZE, HEADER_SIZE, MARK_CONFIRMED, MARK_VALID, MAX_ATTEMPT_WORDS,
  STATUS_ATTEMPTS, STATUS_INSTALLED, STATUS_REJECTED, STATUS_VALID, isImageError, le32, parseHeader, u32, versionString,
} from "../image/header";

export interface SlotView {
  /** Header sound, valid mark set, payload CRC in flash matches, not rejected. */
  valid: boolean;
  /** Why not valid (empty when valid). */
  problem: string;
  header: ImageHeader | null;
  version: string;
  confirmed: boolean;
  installed: boolean;
  rejected: boolean;
  /** Boot attempts recorded (trial boots started). */
  attempts: number;
}

/** Read a slot. checkCrc: recompute the payload CRC over flash (at boot), or trust the valid mark (status). */
export function readSlot(flash: FlashModule, crc32: Crc32, slot: Region, checkCrc: boolean): SlotView {
  const raw = flash.read(HEADER_SIZE, slot.addr);
  const v: SlotView = {
    valid: false, problem: "", header: null, version: "",
    confirmed: false,
    installed: u32(raw, STATUS_INSTALLED) !== ERASED,
    rejected: u32(raw, STATUS_REJECTED) !== ERASED,
    attempts: 0,
  };
  for (let i = 0; i < CONFIRM_WORDS.length; i++) if (u32(raw, CONFIRM_WORDS[i]) === MARK_CONFIRMED) v.confirmed = true;
  for (let i = 0; i < MAX_ATTEMPT_WORDS; i++) if (u32(raw, STATUS_ATTEMPTS + 4 * i) !== ERASED) v.attempts++;
  const h = parseHeader(raw.subarray(0, FIXED_SIZE), crc32);
  if (isImageError(h)) {
    v.problem = u32(raw, 0) === ERASED ? "empty" : h.message;
    return v;
  }
  v.header = h;
  v.version = versionString(h);
  if (u32(raw, STATUS_VALID) !== MARK_VALID) v.problem = "incomplete (never marked valid)";
  else if (v.rejected) v.problem = "rejected (did not confirm itself)";
  else if (h.headerSize + h.imageSize > slot.size) v.problem = "image larger than its slot";
  else if (checkCrc && flash.crc32(slot.addr + h.headerSize, h.imageSize) !== h.payloadCrc) v.problem = "payload CRC mismatch";
  v.valid = !v.problem;
  return v;
}

/** Bytes of the slot an image occupies (header + payload), 0 without a readable header. */
export function span(v: SlotView | null, slot: Region): number {
  return v && v.header ? Math.min(slot.size, v.header.headerSize + v.header.imageSize) : 0;
}

/** Program a status word unless it is already programmed (or torn): a retry never fails on it. */
export function markOnce(flash: FlashModule, addr: number, value: number): boolean {
  if (u32(flash.read(4, addr), 0) !== ERASED) return false;
  flash.write(le32(value), addr);
  return true;
}
