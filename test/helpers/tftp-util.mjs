// Shared by the TFTP tests: the compiled modules (build/host, from `tsc -p tsconfig.host.json`),
// TFTP packet builders and a parser, images and flash checks (on a host platform or a target).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as path from "node:path";
import { pattern } from "./target.mjs";
import { noise } from "./host.mjs";

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const build = (p) => require(path.join(ROOT, "build", "host", p));

export const tftp = build("src/net/tftp.js");
export const { UpdateService } = build("src/update/service.js");
export const { readSlot } = build("src/boot/slots.js");
export const { createHostPlatform, crc32 } = build("host/platform.js");
export const { packImage } = build("host/image.js");

export const BOARD = "stm324xg-eval";

const bytes = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 255);

/** A request: opcode 1 (RRQ) or 2 (WRQ), name, mode, options as [name, value] pairs. */
export function request(op, name, mode = "octet", opts = []) {
  let s = name + "\0" + mode + "\0";
  for (const [k, v] of opts) s += k + "\0" + v + "\0";
  const b = bytes(s);
  const out = new Uint8Array(b.length + 2);
  out[1] = op;
  out.set(b, 2);
  return out;
}
export const wrq = (name, opts, mode) => request(2, name, mode, opts);
export const rrq = (name, opts, mode) => request(1, name, mode, opts);

export function data(block, payload) {
  const out = new Uint8Array(payload.length + 4);
  out[1] = 3;
  out[2] = (block >> 8) & 255;
  out[3] = block & 255;
  out.set(payload, 4);
  return out;
}

export function ack(block) {
  return new Uint8Array([0, 4, (block >> 8) & 255, block & 255]);
}

export function error(code, msg) {
  const b = bytes(msg);
  const out = new Uint8Array(b.length + 5);
  out[1] = 5;
  out[3] = code;
  out.set(b, 4);
  return out;
}

/** Parse a packet the server sent: { op, block?, code?, msg?, opts?, payload? }. */
export function parse(b) {
  const op = (b[0] << 8) | b[1];
  const str = (u) => String.fromCharCode(...u);
  if (op === 3) return { op, block: (b[2] << 8) | b[3], payload: b.subarray(4) };
  if (op === 4) return { op, block: (b[2] << 8) | b[3] };
  if (op === 5) return { op, code: (b[2] << 8) | b[3], msg: str(b.subarray(4, b.length - 1)), nul: b[b.length - 1] === 0 };
  if (op === 6) {
    const f = str(b.subarray(2)).split("\0");
    if (f.pop() !== "") throw new Error("OACK without final NUL");
    const opts = {};
    for (let i = 0; i + 1 < f.length; i += 2) opts[f[i]] = f[i + 1];
    return { op, opts };
  }
  return { op };
}

/** A deterministic pseudo-random payload. */
export const payload = (n, seed = 1) => noise(n, seed);

export function image(payloadBytes, board = BOARD, seed = 1) {
  return packImage({ board, version: "1.2.3", payload: payload(payloadBytes, seed) });
}

/** Flash filled with a pattern (so "unchanged" means something), as initial contents for the NOR model. */
export function patternFlash(size) {
  return pattern(size);
}

/** A host platform with patterned flash and a quiet log; logs are collected in .logs. */
export function platform(opts = {}) {
  const logs = [];
  const p = createHostPlatform({ board: BOARD, log: (s) => logs.push(s), ...opts });
  p.nor.bytes.set(patternFlash(p.nor.size));
  p.logs = logs;
  return p;
}

export function service(p) {
  return new UpdateService(p, { rebootAfterUpdate: false, rebootDelayMs: 0 });
}

/**
 * The helpers below take either a host platform (the in-process tests) or a target from
 * helpers/target.mjs (node or native): the flash bytes, the upload slot and the slot as the device
 * reads it, from whichever it is.
 */
function board(x) {
  if (x.kind) return { bytes: x.snapshot(), base: x.base, slot: x.slot, view: () => x.slotView() };
  const app = x.boot.board().app;
  return { bytes: x.nor.bytes, base: x.nor.base, slot: app, view: () => readSlot(x.flash, crc32, app, true) };
}

/** Where the image goes (direct mode: the application slot), as offsets into the flash bytes. */
export function slotOf(x) {
  const b = board(x);
  return { addr: b.slot.addr, size: b.slot.size, off: b.slot.addr - b.base };
}

/** The image as it must sit in flash: 0x100..0x1FF (progress log, status words) is the device's. */
export function assertImageInSlot(assert, x, img) {
  const b = board(x);
  const off = b.slot.addr - b.base;
  const got = b.bytes.subarray(off, off + img.length);
  // 0x100-0x1FF belongs to the device (progress log, status words)
  assert.ok(Buffer.from(got.subarray(0, 0x100)).equals(Buffer.from(img.subarray(0, 0x100))), "header bytes in flash differ from the image");
  assert.ok(Buffer.from(got.subarray(0x200)).equals(Buffer.from(img.subarray(0x200))), "payload bytes in flash differ from the image");
  const v = b.view();
  assert.equal(v.valid, true, "slot is not valid: " + v.problem);
  assert.equal(v.version, "1.2.3");
}

/** Flash outside the slot equals the snapshot. */
export function assertOutsideSlotUnchanged(assert, x, before) {
  const b = board(x);
  const off = b.slot.addr - b.base;
  const now = b.bytes;
  assert.ok(Buffer.from(now.subarray(0, off)).equals(Buffer.from(before.subarray(0, off))), "flash below the slot changed");
  assert.ok(Buffer.from(now.subarray(off + b.slot.size)).equals(Buffer.from(before.subarray(off + b.slot.size))), "flash above the slot changed");
}
