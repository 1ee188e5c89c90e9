/**
 * The update service: what TFTP and HTTP share. One upload at a time, whichever transport it
 * comes by; progress and the last error for the status API; the reboot into the new image.
 */
import type { BoardInfo, Platform, Region } from "../platform/contract";
import { FLAG_ALLOW_DOWNGRADE, ImageError, ImageHeader, compareVersions, hex, versionString } from "../image/header";
import { ImageWriter } from "../flash/writer";
import { resumePoint } from "../flash/progress";
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

/** What a request may add to an upload: the downgrade permission, a Content-Range continuation. */
export interface UploadOptions {
  allowDowngrade?: boolean;
  /** Continue an interrupted upload at this byte of the image ... */
  offset?: number;
  /** ... of the image whose header CRC (hex) is this. */
  etag?: string;
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

  constructor(public p: Platform, private _options: ServiceOptions) {
    this.board = p.boot.board();
    this.target = this.board.mode === "staged" && this.board.staging ? this.board.staging : this.board.app;
  }

  /** Start an upload, or say why not (BUSY while another is running). */
  begin(transport: string, peer: string, expectBytes: number, o?: UploadOptions): Upload | ImageError {
    if (this.active) {
      return { code: "BUSY", message: "another upload is in progress (" + this.active.transport + " from " + this.active.peer + ")" };
    }
    if (this.rebooting) return { code: "BUSY", message: "rebooting" };
    const opt = o || {};
    // The downgrade rule: not older than the confirmed image, unless the request or the image allows it.
    const s = this.slots();
    const floor = s.app.valid && s.app.confirmed ? s.app : null;
    const check = function (h: ImageHeader): ImageError | null {
      if (!floor || opt.allowDowngrade || h.flags & FLAG_ALLOW_DOWNGRADE || compareVersions(h, floor.header!) >= 0) return null;
      return { code: "DOWNGRADE", message: versionString(h) + " is older than the confirmed " + floor.version + " (--allow-downgrade)" };
    };
    const writer = new ImageWriter({ flash: this.p.flash, crc32: this.p.E.CRC32 }, this.board, this.target, check);
    const e = (expectBytes > 0 && writer.expect(expectBytes)) || (opt.etag !== undefined && writer.resumeAt(opt.offset || 0, opt.etag));
    if (e) {
      this._record(transport, e);
      return e;
    }
    const t: TransferStatus = { transport: transport, peer: peer, received: 0, total: expectBytes, startedMs: this.p.boot.millis() };
    this.active = t;
    this.p.boot.led(1, true);
    const self = this;
    const direct = this.board.mode === "direct";
    // Progress for the status API; the first error ends the transfer and frees the service.
    const track = function (e: ImageError | null): ImageError | null {
      t.received = writer.received;
      if (writer.total) t.total = writer.total;
      if (e && self.active === t) {
        self._record(transport, e);
        self._release();
      }
      return e;
    };
    return {
      push: function (chunk) {
        return track(writer.push(chunk));
      },
      service: function () {
        return track(writer.service());
      },
      finish: function () {
        return track(writer.finish(direct)) || self._finished(t, writer);
      },
      abort: function (code, message) {
        track(writer.abort(code, message));
      },
      received: function () {
        return writer.received;
      },
      total: function () {
        return writer.total || expectBytes;
      },
    };
  }

  private _finished(t: TransferStatus, writer: ImageWriter): null {
    const version = versionString(writer.header!);
    this.lastUpdate = { version: version, bytes: writer.total, ms: this.p.boot.millis() - t.startedMs, transport: t.transport };
    this.lastError = null;
    this.updates++;
    this.p.boot.log("update: " + t.transport + " from " + t.peer + ": image " + version + " (" + writer.total + " bytes) written and verified");
    this._release();
    if (this._options.rebootAfterUpdate) {
      this.rebooting = true;
      const p = this.p;
      p.setTimeout(function () {
        p.boot.reset();
      }, this._options.rebootDelayMs);
    }
    return null;
  }

  private _release(): void {
    this.active = null;
    this.p.boot.led(1, false);
  }

  private _record(transport: string, e: ImageError): void {
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
    const a = this.active, b = this.p.boot;
    const r = a ? null : resumePoint(this.p.flash, this.p.E.CRC32, this.target);
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
      // An interrupted upload the next one continues: PUT the rest with Content-Range from offset
      // and If-Match: "etag", or send the whole image again (verified sectors are skipped).
      resume: r && { offset: r.offset, total: r.header.headerSize + r.header.imageSize, etag: hex(r.crc).slice(2) },
      lastUpdate: this.lastUpdate,
      lastError: this.lastError,
      bootReason: this.bootReason,
      runtimeError: (b.lastError && b.lastError()) || null,
      heap: b.heap ? b.heap() : null,
      uptimeMs: b.millis(),
    };
  }
}
