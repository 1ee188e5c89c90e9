/**
 * What a slot holds, read from its header and status words. Shared by the boot policy and the
 * update servers' status report.
 */
import type { FlashModule, Region } from "../platform/contract";
import {
  Crc32, ImageHeader, FIXED_SIZE, HEADER_SIZE, MARK_CONFIRMED, MARK_INSTALLED, MARK_REJECTED, MARK_VALID, MAX_ATTEMPT_WORDS,
  STATUS_ATTEMPTS, STATUS_CONFIRMED, STATUS_INSTALLED, STATUS_REJECTED, STATUS_VALID, isImageError, parseHeader, u32, versionString,
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
    confirmed: u32(raw, STATUS_CONFIRMED) === MARK_CONFIRMED,
    installed: u32(raw, STATUS_INSTALLED) === MARK_INSTALLED,
    rejected: u32(raw, STATUS_REJECTED) === MARK_REJECTED,
    attempts: 0,
  };
  while (v.attempts < MAX_ATTEMPT_WORDS && u32(raw, STATUS_ATTEMPTS + 4 * v.attempts) === 0) v.attempts++;
  const h = parseHeader(raw.subarray(0, FIXED_SIZE), crc32);
  if (isImageError(h)) {
    v.problem = u32(raw, 0) === 0xffffffff ? "empty" : h.message;
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
