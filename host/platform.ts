/**
 * The platform contract implemented on Node: the board's flash as a NOR model, dgram and net from
 * Node (their shape is the contract's), Boot simulated. Used by the simulator, by the tests that
 * drive the servers with real clients, and to run the ES5 bundles themselves (host/runtime.ts).
 */
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import type { BootModule, DgramModule, EModule, FlashModule, NetModule, Platform } from "../src/platform/contract";
import { BoardLayout, ROOT, loadBoard } from "./layout";
import { CutWhen, NorFlash } from "./nor-flash";

export interface HostBoardOptions {
  board: string;
  mode?: "direct" | "staged";
  /** Keep flash contents in this file between runs. */
  flashFile?: string;
  /** Or start from these flash contents. */
  flashBytes?: Uint8Array;
  /** Datasheet flash timing. */
  timing?: boolean;
  /** Power cut at this flash operation. */
  cutAt?: number;
  cutWhen?: CutWhen;
  random?: () => number;
  credentials?: { user: string; password: string };
  /** Button held at reset. */
  button?: boolean;
  /** Boot-request word at start (the simulator keeps it in a state file). */
  request?: number;
  log?: (s: string) => void;
  onReset?: () => void;
  onJump?: (addr: number) => void;
  onRequest?: (word: number) => void;
}

export interface HostPlatform extends Platform {
  nor: NorFlash;
  layout: BoardLayout;
  leds: boolean[];
  events: string[];
}

export function crc32(data: Uint8Array, init?: number): number {
  return zlib.crc32(data, init || 0) >>> 0;
}

const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);

export const hostE: EModule = {
  CRC32: crc32,
  toString: (d) => buf(d).toString("latin1"),
  toUint8Array: (s) => new Uint8Array(Buffer.from(s, "latin1")),
  indexOf: (h, n, start) => buf(h).indexOf(buf(n), start),
};

export function flashModule(nor: NorFlash, layout: BoardLayout): FlashModule {
  const boot = layout.info.bootloader;
  return {
    getPage(addr) {
      const s = nor.sectorAt(addr);
      return s && { addr: s.addr, length: s.size };
    },
    getFree() {
      return nor.sectors.filter((s) => s.addr >= boot.addr + boot.size).map((s) => ({ addr: s.addr, length: s.size }));
    },
    erasePage: (addr) => nor.erase(addr),
    write: (data, addr) => nor.program(addr, data),
    read: (length, addr) => nor.read(addr, length),
    crc32: (addr, length, init) => crc32(nor.view(addr, length), init),
  };
}

export function assetFile(name: string): string | undefined {
  if (!/^[a-z0-9-]+\.[a-z]+$/.test(name)) return undefined;
  for (const dir of [path.join(ROOT, "build", "web"), path.join(ROOT, "src", "web")]) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  return undefined;
}

export function createHostPlatform(o: HostBoardOptions): HostPlatform {
  const layout = loadBoard(o.board, o.mode);
  const nor = new NorFlash({
    base: layout.flashBase,
    sectors: layout.sectors,
    file: o.flashFile,
    initial: o.flashBytes,
    timing: o.timing ? layout.timing : null,
    protect: [layout.info.bootloader],
    cutAt: o.cutAt,
    cutWhen: o.cutWhen,
    random: o.random,
  });
  const started = performance.now();
  let request = o.request ?? 0;
  const leds: boolean[] = [];
  const events: string[] = [];
  const log = o.log || ((s: string) => console.log(s));
  const boot: BootModule = {
    reset() {
      events.push("reset");
      if (o.onReset) o.onReset();
    },
    jump(addr) {
      events.push("jump 0x" + addr.toString(16));
      if (o.onJump) o.onJump(addr);
    },
    getRequest: () => request,
    setRequest(word) {
      request = word >>> 0;
      if (o.onRequest) o.onRequest(request);
    },
    buttonAtReset: () => !!o.button,
    led(i, on) {
      leds[i] = on;
    },
    millis: () => Math.floor(performance.now() - started),
    random32: () => crypto.randomBytes(4).readUInt32LE(0),
    board: () => layout.info,
    log,
    asset(name) {
      const f = assetFile(name);
      return f ? new Uint8Array(fs.readFileSync(f)) : undefined;
    },
    credentials: () => o.credentials,
  };
  return {
    flash: flashModule(nor, layout),
    dgram: dgram as unknown as DgramModule,
    net: net as unknown as NetModule,
    boot,
    E: hostE,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    atob: (b64) => Buffer.from(b64, "base64").toString("latin1"),
    nor,
    layout,
    leds,
    events,
  };
}
