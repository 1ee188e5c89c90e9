/**
 * The flash writer: the one pipeline every transport (TFTP, HTTP) feeds with image bytes.
 *
 * - Takes chunks of any size; programs whole words only (x32 parallelism), keeping up to three
 *   bytes for the next chunk.
 * - Checks the image header (magic, header CRC, board, load address, size) from the first 64 bytes,
 *   before anything is erased.
 * - Erases each sector just before the write pointer enters it, never the whole slot up front, and
 *   only the sectors the image spans. push() only queues (unless its queue is full): the transport
 *   acknowledges first and then calls service() for the erase and programming, so a client is not
 *   kept waiting by flash work, which overlaps with its next packet.
 * - Verifies every programmed run by read-back (a native compare of flash with the data, or CRCs).
 * - Never touches an address outside the target slot.
 * - Records each sector once it is written and verified (progress.ts); a repeated upload of the
 *   same image skips those sectors (compared, not erased again), HTTP may resume at an offset.
 * - Marks the image valid only after the CRC of the whole payload in flash matches the header: the
 *   valid mark is the last word written.
 */

import type { BoardInfo, FlashModule, Region } from "../platform/contract";
import {
  Crc32, ImageError, ImageHeader, DEVICE_START, FIXED_SIZE, MAX_PROGRESS, PROGRESS_SALT, MARK_CONFIRMED, MARK_REJECTED, MARK_VALID, STATUS_CONFIRMED, STATUS_REJECTED, STATUS_VALID,
  checkForBoard, isImageError, parseHeader, hex, le32, u32,
} from "../image/header";
import { entryAddr, resumePoint, sectorCrc } from "./progress";
import { markOnce } from "../boot/slots";

/** Progress entry k: two words, each programmed once (a torn one leaves the entry unchecked). */
function markEntry(flash: FlashModule, slot: Region, k: number, crc: number): void {
  if (k < MAX_PROGRESS && markOnce(flash, entryAddr(slot, k), crc)) markOnce(flash, entryAddr(slot, k) + 4, crc ^ PROGRESS_SALT ^ k);
}

/** Bytes the writer may hold before push() has to erase by itself. */
const QUEUE_LIMIT = 16384;

export interface WriterEnv {
  flash: FlashModule;
  crc32: Crc32;
}

export class ImageWriter {
  /** Bytes accepted so far (header included). */
  received = 0;
  /** Bytes programmed and verified. */
  written = 0;
  /** Total bytes of the upload (header + payload), known once the header is in. */
  total = 0;
  header: ImageHeader | null = null;
  /** The first error; once set, the writer accepts nothing more. */
  error: ImageError | null = null;
  done = false;

  /** Received chunks not yet programmed, and their byte count. */
  private _queue: Uint8Array[] = [];
  private _queued = 0;
  /** End of the erased area, from the slot start. */
  private _erasedTo: number;
  private _expected = 0;
  /** Bytes from the slot start that flash already holds from an interrupted upload of this image. */
  private _skipTo = 0;
  /** Sectors of the slot written or skipped (the index of the next sector's progress entry). */
  private _sectors = 0;

  /** check: a last word on the header before anything is erased (the downgrade rule). */
  constructor(private _env: WriterEnv, private _board: BoardInfo, private _slot: Region, private _check?: (h: ImageHeader) => ImageError | null) {
    this._erasedTo = _slot.addr;
  }

  /**
   * Continue an interrupted upload at byte `offset` (HTTP Content-Range): the slot must hold the
   * image whose header CRC is `etag`, verified at least up to offset.
   */
  resumeAt(offset: number, etag: string): ImageError | null {
    const r = resumePoint(this._env.flash, this._env.crc32, this._slot);
    if (!r || hex(r.crc) !== hex(parseInt(etag, 16)) || offset % 4 || offset > r.offset) return this._fail("RESUME", r ? "can resume " + hex(r.crc) + " at " + r.offset : "nothing to resume");
    const e = this._header(r.header);
    if (e) return e;
    this.received = this.written = offset;
    this._skip(r.offset);
    return null;
  }

  /** The size announced by the transport (TFTP tsize, HTTP Content-Length), checked before any erase. */
  expect(bytes: number): ImageError | null {
    if (bytes > this._slot.size) return this._fail("TOO_LARGE", "upload of " + bytes + " bytes does not fit the " + this._slot.size + "-byte slot");
    this._expected = bytes;
    return null;
  }

  /** Accept the next bytes of the image. Returns the error that stops the upload, if any. */
  push(chunk: Uint8Array): ImageError | null {
    if (this.error) return this.error;
    const n = this.received + chunk.length;
    if (this.done || (this.total && n > this.total)) return this._tooLong();
    this._queue.push(chunk);
    this._queued += chunk.length;
    this.received = n;
    if (!this.header && n >= FIXED_SIZE) {
      const e = this._acceptHeader();
      if (e) return e;
    }
    // Flash work waits for service(), after the transport has acknowledged, unless the queue is full.
    return this.header && this._queued > QUEUE_LIMIT ? this._drain() : null;
  }

  /** Do the flash work push() left: erase the next sector and program what waits. Call after acknowledging. */
  service(): ImageError | null {
    return this.error || (this.header ? this._drain() : null);
  }

  /** End of the upload: program the tail, check the payload CRC in flash, then mark the image valid. */
  finish(confirmed: boolean): ImageError | null {
    const h = this.header;
    if (this.error) return this.error;
    if (!h || this.received < this.total) return this._fail("TRUNCATED", "upload ended after " + this.received + " of " + (this.total || "at least 64") + " bytes");
    // The last 1-3 bytes: pad the word with 0xFF (the erased value).
    const r = this._queued % 4;
    if (r) {
      this._queue.push(new Uint8Array([255, 255, 255]).subarray(r - 1));
      this._queued += 4 - r;
    }
    const e = this._drain();
    if (e) return e;
    const crc = this._env.flash.crc32(this._slot.addr + h.headerSize, h.imageSize);
    if (crc !== h.payloadCrc) {
      return this._fail("CRC_MISMATCH", "payload CRC in flash is " + hex(crc) + ", header says " + hex(h.payloadCrc) + ": image corrupted, not marked valid");
    }
    try {
      if (confirmed) this._env.flash.write(le32(MARK_CONFIRMED), this._slot.addr + STATUS_CONFIRMED);
      this._env.flash.write(le32(MARK_VALID), this._slot.addr + STATUS_VALID);
    } catch (x) {
      return this._fail("FLASH_ERROR", (x as Error).message);
    }
    this.done = true;
    return null;
  }

  /** Stop the upload with this error (the first error stays). */
  abort(code: string, message: string): ImageError {
    return this._fail(code, message);
  }

  private _fail(code: string, message: string): ImageError {
    if (!this.error) this.error = { code: code, message: message };
    this._queue = [];
    this._queued = 0;
    return this.error;
  }

  private _tooLong(): ImageError {
    return this._fail("TOO_LONG", "upload is longer than the " + (this.total || this._expected) + " bytes announced");
  }

  private _acceptHeader(): ImageError | null {
    // Look at the first 64 bytes and put them back in front: they are programmed like the rest.
    const first = this._take(FIXED_SIZE);
    this._queue.unshift(first);
    this._queued += FIXED_SIZE;
    const h = parseHeader(first, this._env.crc32);
    if (isImageError(h)) return this._fail(h.code, h.message);
    const e = this._header(h);
    if (e) return e;
    if (this.received > this.total) return this._tooLong();
    // The same image as an interrupted upload left in the slot: skip what it verified.
    const r = resumePoint(this._env.flash, this._env.crc32, this._slot);
    if (r && r.crc === u32(first, 0x3c)) this._skip(r.offset);
    return null;
  }

  private _header(h: ImageHeader): ImageError | null {
    const e = checkForBoard(h, this._board, this._slot) || (this._check && this._check(h));
    if (e) return this._fail(e.code, e.message);
    const total = h.headerSize + h.imageSize;
    if (this._expected && this._expected !== total) {
      return this._fail("SIZE_MISMATCH", "announced size " + this._expected + ", the header says " + total);
    }
    this.total = total;
    this.header = h;
    return null;
  }

  private _skip(to: number): void {
    this._skipTo = to;
    this._erasedTo = this._slot.addr + to;
    for (let a = this._slot.addr; a < this._erasedTo; this._sectors++) a += this._env.flash.getPage(a)!.length;
  }

  /** Consume the first n queued bytes (no copy when they lie in one chunk). */
  private _take(n: number): Uint8Array {
    const q = this._queue;
    const first = q[0];
    this._queued -= n;
    if (first.length >= n) {
      // Compare lengths, not .buffer: Duktape makes a new ArrayBuffer object for every .buffer read.
      if (first.length === n) q.shift();
      else q[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    for (let off = 0; off < n; ) {
      const c = q[0];
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) q.shift();
      else q[0] = c.subarray(k);
    }
    return out;
  }

  /** Program whole words from the queue, erasing each sector as the write pointer enters it. */
  private _drain(): ImageError | null {
    const flash = this._env.flash, slot = this._slot;
    try {
      while (this._queued >= 4) {
        const addr = slot.addr + this.written;
        // Below _skipTo flash already holds this image from the interrupted upload: compare only.
        const skip = this.written < this._skipTo;
        if (!skip && addr >= this._erasedTo) {
          const page = flash.getPage(addr);
          if (!page || page.addr + page.length > slot.addr + slot.size) throw new Error(hex(addr) + " is outside the slot");
          flash.erasePage(page.addr);
          this._erasedTo = page.addr + page.length;
        }
        // One received chunk at a time (no large joined copies in the small heap), never past the
        // erased area (or the end of the skipped one).
        const first = this._queue[0].length;
        const n = Math.min(this._queued, this._erasedTo - addr, first < 4 ? 4 : first);
        const d = this._take(n - (n % 4));
        if (this._around(d, addr, !skip)) {
          if (!skip) throw new Error("read-back mismatch at " + hex(addr));
          // Not the same bytes after all: forget the progress, so the next upload starts afresh.
          markOnce(flash, slot.addr + STATUS_REJECTED, MARK_REJECTED);
          return this._fail("RESUME", hex(addr) + " differs");
        }
        this.written += d.length;
        // A whole sector written and verified: record it (progress.ts).
        if (!skip && slot.addr + this.written === this._erasedTo) markEntry(flash, slot, this._sectors++, sectorCrc(flash, slot, flash.getPage(addr)!));
      }
    } catch (x) {
      return this._fail("FLASH_ERROR", (x as Error).message);
    }
    return null;
  }

  /**
   * Program (write) or only compare data at addr, around the device-owned part of the header
   * (slot + 0x100 .. + header size). Returns true when flash differs from data afterwards.
   */
  private _around(data: Uint8Array, addr: number, write: boolean): boolean {
    const a = Math.max(0, Math.min(data.length, this._slot.addr + DEVICE_START - addr));
    const b = Math.max(a, Math.min(data.length, this._slot.addr + this._board.headerSize - addr));
    const f = this._env.flash, crc = this._env.crc32;
    let bad = false;
    for (let i = 0; i < 2; i++) {
      const d = i ? data.subarray(b) : data.subarray(0, a);
      const at = i ? addr + b : addr;
      if (!d.length) continue;
      if (write) f.write(d, at);
      if (f.verify ? !f.verify(at, d) : f.crc32(at, d.length) !== crc(d)) bad = true;
    }
    return bad;
  }
}
