/**
 * The upload's progress log, kept in the device-owned part of the image header in the target slot
 * (header.ts): when the writer has programmed and verified a whole sector of the slot it records the
 * sector's CRC there. An upload cut by a reset, a power cut or a dropped connection then continues:
 * a repeated upload of the same image (same 64-byte header) skips the recorded sectors that still
 * match, without erasing them again, and HTTP can send the rest alone with Content-Range.
 */
import type { FlashModule, FlashPage, Region } from "../platform/contract";
import {
  Crc32, DEVICE_START, ERASED, FIXED_SIZE, HEADER_SIZE, MAX_PROGRESS, PROGRESS_SALT, STATUS_START, ImageHeader, isImageError, parseHeader, u32,
} from "../image/header";

/** What a sector holds, as recorded: its bytes minus the device-owned part of the header. */
export function sectorCrc(flash: FlashModule, slot: Region, page: FlashPage): number {
  if (page.addr !== slot.addr) return flash.crc32(page.addr, page.length);
  return flash.crc32(page.addr + HEADER_SIZE, page.length - HEADER_SIZE, flash.crc32(page.addr, DEVICE_START));
}

export function entryAddr(slot: Region, k: number): number {
  return slot.addr + DEVICE_START + 8 * k;
}

export interface ResumePoint {
  /** Bytes from the slot start (a sector boundary) already written and verified. */
  offset: number;
  header: ImageHeader;
  /** The image header's CRC: the same image has the same one. In hex, the ETag a Content-Range upload names in If-Match. */
  crc: number;
}

/**
 * How far an unfinished upload got: null unless the slot holds a sound header, no status word is
 * programmed (never marked valid, nothing torn) and at least its first sector is recorded and
 * still matches.
 */
export function resumePoint(flash: FlashModule, crc32: Crc32, slot: Region): ResumePoint | null {
  const raw = flash.read(HEADER_SIZE, slot.addr);
  for (let o = STATUS_START; o < HEADER_SIZE; o += 4) if (u32(raw, o) !== ERASED) return null;
  const h = parseHeader(raw.subarray(0, FIXED_SIZE), crc32);
  if (isImageError(h)) return null;
  const total = h.headerSize + h.imageSize;
  let off = 0;
  for (let k = 0; k < MAX_PROGRESS; k++) {
    const w = u32(raw, DEVICE_START + 8 * k);
    const page = flash.getPage(slot.addr + off);
    if (((w ^ PROGRESS_SALT ^ k) >>> 0) !== u32(raw, DEVICE_START + 8 * k + 4) || !page || off + page.length > Math.min(total, slot.size)) break;
    if (sectorCrc(flash, slot, page) !== w) break;
    off += page.length;
  }
  return off ? { offset: off, header: h, crc: u32(raw, 0x3c) } : null;
}
