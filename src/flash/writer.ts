/**
 * The flash writer: the one pipeline every transport (TFTP, HTTP) feeds with image bytes.
 *
 * - Takes chunks of any size; programs whole words only (x32 parallelism), keeping up to three
 *   bytes for the next chunk.
 * - Checks the image header (magic, header CRC, board, load address, size) from the first 64 bytes,
 *   before anything is erased.
 * - Erases each sector just before the write pointer enters it, never the whole slot up front, and
 *   only the sectors the image spans. push() never erases unless its queue is full: the transport
 *   acknowledges first and then calls service(), so a client is not kept waiting by an erase.
 * - Verifies every programmed run by read-back (native CRC of the flash range against the data).
 * - Never touches an address outside the target slot.
 * - Marks the image valid only after the CRC of the whole payload in flash matches the header: the
 *   valid mark is the last word written.
 */

import type { BoardInfo, FlashModule, Region } from "../platform/contract";
import {
  Crc32, ImageError, ImageHeader, FIXED_SIZE, MARK_CONFIRMED, MARK_VALID, STATUS_CONFIRMED, STATUS_START, STATUS_VALID,
  checkForBoard, isImageError, parseHeader, hex,
} from "../image/header";

/** Bytes the writer may hold before push() has to erase by itself. */
const QUEUE_LIMIT = 16384;

export interface WriterEnv {
  flash: FlashModule;
  crc32: Crc32;
}

function word(v: number): Uint8Array {
  return new Uint8Array([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]);
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

  private queue: Uint8Array[] = [];
  private queued = 0;
  private erasedTo: number;
  private expectedTotal = 0;

  constructor(private env: WriterEnv, private board: BoardInfo, private slot: Region) {
    this.erasedTo = slot.addr;
  }

  /** The size announced by the transport (TFTP tsize, HTTP Content-Length), checked before any erase. */
  expect(bytes: number): ImageError | null {
    if (bytes > this.slot.size) {
      return this.fail("TOO_LARGE", "upload of " + bytes + " bytes does not fit the " + this.slot.size + "-byte slot");
    }
    if (bytes > 0 && bytes < FIXED_SIZE) return this.fail("TRUNCATED", "upload of " + bytes + " bytes is shorter than an image header");
    this.expectedTotal = bytes;
    return null;
  }

  /** Accept the next bytes of the image. Returns the error that stops the upload, if any. */
  push(chunk: Uint8Array): ImageError | null {
    if (this.error) return this.error;
    if (this.done) return this.fail("TOO_LONG", "data after the end of the image");
    if (chunk.length === 0) return null;
    if (this.total && this.received + chunk.length > this.total) {
      return this.fail("TOO_LONG", "upload is longer than the " + this.total + " bytes its header announces");
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.received += chunk.length;
    if (!this.header) {
      if (this.received < FIXED_SIZE) return null;
      const e = this.acceptHeader();
      if (e) return e;
    }
    return this.drain(this.queued > QUEUE_LIMIT);
  }

  /** Do the flash work push() left: erase the next sector and program what waits. Call after acknowledging. */
  service(): ImageError | null {
    if (this.error || !this.header) return this.error;
    return this.drain(true);
  }

  /** Are bytes waiting for an erase? */
  pending(): boolean {
    return this.queued >= 4 && !this.error;
  }

  /** End of the upload: program the tail, check the payload CRC in flash, then mark the image valid. */
  finish(confirmed: boolean): ImageError | null {
    if (this.error) return this.error;
    if (!this.header) return this.fail("TRUNCATED", "upload ended after " + this.received + " bytes, before the image header was complete");
    if (this.received < this.total) return this.fail("TRUNCATED", "upload ended after " + this.received + " of " + this.total + " bytes");
    let e = this.drain(true);
    if (e) return e;
    if (this.queued) {
      // The last 1-3 bytes: pad the word with 0xFF (the erased value).
      const tail = this.take(this.queued);
      const padded = new Uint8Array(4);
      padded[0] = padded[1] = padded[2] = padded[3] = 0xff;
      padded.set(tail, 0);
      e = this.program(padded);
      if (e) return e;
    }
    const h = this.header;
    const payloadAddr = this.slot.addr + h.headerSize;
    const crc = this.env.flash.crc32(payloadAddr, h.imageSize);
    if (crc !== h.payloadCrc) {
      return this.fail("CRC_MISMATCH", "payload CRC in flash is " + hex(crc) + ", the header says " + hex(h.payloadCrc) + ": the image was corrupted; it is not marked valid");
    }
    try {
      if (confirmed) this.env.flash.write(word(MARK_CONFIRMED), this.slot.addr + STATUS_CONFIRMED);
      this.env.flash.write(word(MARK_VALID), this.slot.addr + STATUS_VALID);
    } catch (x) {
      return this.fail("FLASH_ERROR", "marking the image valid failed: " + (x as Error).message);
    }
    this.done = true;
    return null;
  }

  private fail(code: string, message: string): ImageError {
    if (!this.error) this.error = { code: code, message: message };
    this.queue = [];
    this.queued = 0;
    return this.error;
  }

  private acceptHeader(): ImageError | null {
    const first = this.peek(FIXED_SIZE);
    const h = parseHeader(first, this.env.crc32);
    if (isImageError(h)) return this.fail(h.code, h.message);
    const e = checkForBoard(h, this.board, this.slot);
    if (e) return this.fail(e.code, e.message);
    const total = h.headerSize + h.imageSize;
    if (this.expectedTotal && this.expectedTotal !== total) {
      return this.fail("SIZE_MISMATCH", "announced size " + this.expectedTotal + " differs from the " + total + " bytes the image header describes");
    }
    if (this.received > total) return this.fail("TOO_LONG", "upload is longer than the " + total + " bytes its header announces");
    this.header = h;
    this.total = total;
    return null;
  }

  /** The first n queued bytes, without consuming them. */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    for (let i = 0; off < n; i++) {
      const c = this.queue[i];
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
    }
    return out;
  }

  /** Consume the first n queued bytes. */
  private take(n: number): Uint8Array {
    const first = this.queue[0];
    if (first.length === n) {
      this.queue.shift();
      this.queued -= n;
      return first;
    }
    const out = first.length > n ? first.subarray(0, n) : this.peek(n);
    let left = n;
    while (left > 0) {
      const c = this.queue[0];
      if (c.length <= left) {
        this.queue.shift();
        left -= c.length;
      } else {
        this.queue[0] = c.subarray(left);
        left = 0;
      }
    }
    this.queued -= n;
    return out;
  }

  /** Program whole words from the queue; erase sectors on the way only when allowed. */
  private drain(mayErase: boolean): ImageError | null {
    while (this.queued >= 4) {
      const addr = this.slot.addr + this.written;
      if (addr >= this.erasedTo) {
        if (!mayErase) return null;
        const e = this.eraseNext();
        if (e) return e;
      }
      // Stop each run at the end of the erased area so a run never spans an unerased sector.
      let n = Math.min(this.queued, this.erasedTo - addr);
      n -= n % 4;
      const e = this.program(this.take(n));
      if (e) return e;
    }
    return null;
  }

  private eraseNext(): ImageError | null {
    const page = this.env.flash.getPage(this.erasedTo);
    if (!page || page.addr < this.slot.addr || page.addr + page.length > this.slot.addr + this.slot.size) {
      return this.fail("FLASH_ERROR", "refusing to erase " + hex(this.erasedTo) + ": outside the target slot");
    }
    try {
      this.env.flash.erasePage(page.addr);
    } catch (x) {
      return this.fail("FLASH_ERROR", "erasing the sector at " + hex(page.addr) + " failed: " + (x as Error).message);
    }
    this.erasedTo = page.addr + page.length;
    return null;
  }

  /** Program data at the write pointer (status words left erased), then verify by read-back. */
  private program(data: Uint8Array): ImageError | null {
    const addr = this.slot.addr + this.written;
    if (addr + data.length > this.slot.addr + this.slot.size) return this.fail("FLASH_ERROR", "refusing to write past the end of the target slot");
    const statusAt = this.slot.addr + STATUS_START;
    const statusEnd = this.slot.addr + this.board.headerSize;
    try {
      if (addr < statusEnd && addr + data.length > statusAt) {
        // The device owns the status words: write around them so they stay erased.
        const a = Math.max(0, statusAt - addr);
        const b = Math.min(data.length, statusEnd - addr);
        if (a > 0) this.writeVerified(data.subarray(0, a), addr);
        if (b < data.length) this.writeVerified(data.subarray(b), addr + b);
      } else {
        this.writeVerified(data, addr);
      }
    } catch (x) {
      return this.fail("FLASH_ERROR", (x as Error).message);
    }
    this.written += data.length;
    return null;
  }

  private writeVerified(data: Uint8Array, addr: number): void {
    this.env.flash.write(data, addr);
    if (this.env.flash.crc32(addr, data.length) !== this.env.crc32(data)) {
      throw new Error("read-back of " + data.length + " bytes at " + hex(addr) + " does not match what was written");
    }
  }
}
