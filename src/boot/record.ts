/**
 * The boot-state log (staged mode): the progress of a swap, in the record sector, so that a power
 * cut at any point of an install or a rollback is finished by the next boot from where it stopped,
 * never restarted from the beginning or left half-done.
 *
 * Entries of 16 bytes appended in order in the first LOG_BYTES of the record sector:
 *   u32 tag, u32 a, u32 b, u32 CRC-32 of the first 12 bytes
 *   BEGN kind length   a swap starts (kind 1 install, 2 rollback; length: bytes of each slot swapped)
 *   STEP sector phase  that phase of that slot sector is done and verified:
 *                      1 application -> scratch, 2 staging -> application, 3 scratch -> staging
 *   DONE kind 0        the swap and its marks (installed / rejected) are complete
 * A torn entry fails its CRC and is skipped; a new entry goes after the last non-erased one. The
 * sector is erased only when a new swap does not fit, that is when no swap is in progress: a cut
 * during that erase leaves no valid BEGN without its DONE, so nothing is resumed and the slots,
 * untouched, decide again.
 */
import type { FlashModule, Region } from "../platform/contract";
import { Crc32, ERASED, u32 } from "../image/header";

export const LOG_BYTES = 2048;
const ENTRY = 16;
export const TAG_BEGIN = 0x4e474542; // "BEGN"
export const TAG_STEP = 0x50455453; // "STEP"
export const TAG_DONE = 0x454e4f44; // "DONE"
export const KIND_INSTALL = 1;
export const KIND_ROLLBACK = 2;

export interface LogState {
  /** A swap begun and not done: its kind, length, and the last step done (sector, phase; -1, 3 before any). */
  pending: { kind: number; length: number; sector: number; phase: number } | null;
  /** Kind of the last completed swap (0: none in the log). */
  last: number;
  /** Entries used (the next one goes there). */
  next: number;
}

export function readLog(flash: FlashModule, crc32: Crc32, rec: Region): LogState {
  const raw = flash.read(LOG_BYTES, rec.addr);
  const st: LogState = { pending: null, last: 0, next: 0 };
  for (let i = 0; i < LOG_BYTES / ENTRY; i++) {
    const o = i * ENTRY;
    const tag = u32(raw, o), a = u32(raw, o + 4), b = u32(raw, o + 8);
    if (tag !== ERASED || a !== ERASED || b !== ERASED || u32(raw, o + 12) !== ERASED) st.next = i + 1;
    if (crc32(raw.subarray(o, o + 12)) !== u32(raw, o + 12)) continue;
    const p = st.pending;
    if (tag === TAG_BEGIN) st.pending = { kind: a, length: b, sector: -1, phase: 3 };
    else if (tag === TAG_STEP && p) {
      p.sector = a;
      p.phase = b;
    } else if (tag === TAG_DONE && p) {
      st.last = p.kind;
      st.pending = null;
    }
  }
  return st;
}

export function appendLog(flash: FlashModule, crc32: Crc32, rec: Region, st: LogState, tag: number, a: number, b: number): void {
  const e = new Uint8Array(ENTRY);
  const dv = new DataView(e.buffer);
  dv.setUint32(0, tag, true);
  dv.setUint32(4, a, true);
  dv.setUint32(8, b, true);
  dv.setUint32(12, crc32(e.subarray(0, 12)), true);
  flash.write(e, rec.addr + st.next++ * ENTRY);
}

/** Room for `entries` more entries, erasing the log (and checking it came out blank) when full. */
export function makeRoom(flash: FlashModule, rec: Region, st: LogState, entries: number): void {
  if ((st.next + entries) * ENTRY <= LOG_BYTES) return;
  flash.erasePage(rec.addr);
  const raw = flash.read(LOG_BYTES, rec.addr);
  for (let i = 0; i < LOG_BYTES; i++) if (raw[i] !== 255) throw new Error("boot-state log did not erase");
  st.next = 0;
}
