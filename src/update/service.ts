/**
 * The update service: what TFTP and HTTP share. One upload at a time, whichever transport it
 * comes by; progress and the last error for the status API; the reboot into the new image.
 */
import type { BoardInfo, Platform, Region } from "../platform/contract";
import { ImageError } from "../image/header";
import { ImageWriter } from "../flash/writer";
import { SlotView, readSlot } from "../boot/slots";

export interface Upload {
  /** Feed image bytes; returns the error that ends the upload. */
  push(chunk: Uint8Array): ImageError | null;
  /** Do deferred flash work (erase, program); call after acknowledging the data. */
  service(): ImageError | null;
  /** All bytes are in: verify and mark valid. Frees the service for the next upload. */
  finish(): ImageError | null;
  /** Give up (client error, timeout, disconnect); the slot stays invalid. */
  abort(code: string, message: string): void;
  received(): number;
  total(): number;
}

export interface TransferStatus {
  transport: string;
  peer: string;
  received: number;
  total: number;
  startedMs: number;
}

export interface ServiceOptions {
  /** Reboot into the new image after a successful upload (a board does; tests may not). */
  rebootAfterUpdate: boolean;
  /** Delay before that reboot, so the last ACK / HTTP response gets out. */
  rebootDelayMs: number;
}

export class UpdateService {
  board: BoardInfo;
  target: Region;
  active: TransferStatus | null = null;
  lastError: { code: string; message: string; transport: string } | null = null;
  lastUpdate: { version: string; bytes: number; ms: number; transport: string } | null = null;
  updates = 0;
  bootReason = "";
  rebooting = false;

  constructor(public p: Platform, public options: ServiceOptions) {
    this.board = p.boot.board();
    this.target = this.board.mode === "staged" && this.board.staging ? this.board.staging : this.board.app;
  }

  /** Start an upload, or say why not (BUSY while another is running). */
  begin(transport: string, peer: string, expectBytes: number): Upload | ImageError {
    if (this.active) {
      return { code: "BUSY", message: "another upload is in progress (" + this.active.transport + " from " + this.active.peer + ")" };
    }
    if (this.rebooting) return { code: "BUSY", message: "the board is rebooting into the new image" };
    const writer = new ImageWriter({ flash: this.p.flash, crc32: this.p.E.CRC32 }, this.board, this.target);
    if (expectBytes > 0) {
      const e = writer.expect(expectBytes);
      if (e) {
        this.record(transport, e);
        return e;
      }
    }
    const t: TransferStatus = { transport: transport, peer: peer, received: 0, total: expectBytes, startedMs: this.p.boot.millis() };
    this.active = t;
    this.p.boot.led(1, true);
    const self = this;
    let closed = false;
    const close = function (e: ImageError | null): ImageError | null {
      if (e && !closed) {
        closed = true;
        self.record(transport, e);
        self.release(t);
      }
      t.received = writer.received;
      if (writer.total) t.total = writer.total;
      return e;
    };
    return {
      push: function (chunk) {
        return close(closed ? writer.error : writer.push(chunk));
      },
      service: function () {
        return close(closed ? writer.error : writer.service());
      },
      finish: function () {
        if (closed) return writer.error || { code: "ABORTED", message: "upload was aborted" };
        const e = writer.finish(self.board.mode === "direct");
        if (e) return close(e);
        closed = true;
        const h = writer.header!;
        const version = h.major + "." + h.minor + "." + h.patch + (h.build ? "+" + h.build : "");
        self.lastUpdate = { version: version, bytes: writer.total, ms: self.p.boot.millis() - t.startedMs, transport: transport };
        self.lastError = null;
        self.updates++;
        self.p.boot.log("update: " + transport + " from " + peer + ": image " + version + " (" + writer.total + " bytes) written and verified");
        self.release(t);
        if (self.options.rebootAfterUpdate) {
          self.rebooting = true;
          self.p.setTimeout(function () {
            self.p.boot.reset();
          }, self.options.rebootDelayMs);
        }
        return null;
      },
      abort: function (code, message) {
        close({ code: code, message: message });
      },
      received: function () {
        return writer.received;
      },
      total: function () {
        return writer.total || expectBytes;
      },
    };
  }

  private release(t: TransferStatus): void {
    if (this.active === t) this.active = null;
    this.p.boot.led(1, false);
  }

  private record(transport: string, e: ImageError): void {
    this.lastError = { code: e.code, message: e.message, transport: transport };
    this.p.boot.log("update: " + transport + ": " + e.code + ": " + e.message);
  }

  slots(): { app: SlotView; staging: SlotView | null } {
    const crc = this.p.E.CRC32;
    return {
      app: readSlot(this.p.flash, crc, this.board.app, false),
      staging: this.board.mode === "staged" && this.board.staging ? readSlot(this.p.flash, crc, this.board.staging, false) : null,
    };
  }

  /** The status document of GET /api/status and the TFTP status file. */
  status(): object {
    const s = this.slots();
    const view = function (v: SlotView | null) {
      return v && { version: v.version || null, valid: v.valid, confirmed: v.confirmed, attempts: v.attempts, problem: v.problem || null };
    };
    const a = this.active;
    return {
      state: this.rebooting ? "rebooting" : a ? "receiving" : "update-mode",
      board: this.board.name,
      boardId: this.board.id,
      updateMode: this.board.mode,
      app: view(s.app),
      staging: view(s.staging),
      transfer: a && {
        transport: a.transport,
        peer: a.peer,
        received: a.received,
        total: a.total,
        percent: a.total ? Math.floor((a.received * 100) / a.total) : null,
        elapsedMs: this.p.boot.millis() - a.startedMs,
      },
      lastUpdate: this.lastUpdate,
      lastError: this.lastError,
      bootReason: this.bootReason,
      uptimeMs: this.p.boot.millis(),
    };
  }
}
