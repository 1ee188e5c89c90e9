/** Host side of the image format: pack a binary with its header, describe a packed image. */
import { buildHeader, isImageError, parseHeader, versionString, hex, ImageHeader, HEADER_SIZE, FLAG_ALLOW_DOWNGRADE } from "../src/image/header";
import { loadBoard } from "./layout";
import { crc32 } from "./platform";

export class UsageError extends Error {}

export function parseVersion(v: string): { major: number; minor: number; patch: number; build: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,5})(?:\+(\d{1,10}))?$/.exec(v);
  if (!m) throw new UsageError(`version '${v}' is not of the form MAJOR.MINOR.PATCH[+BUILD] (e.g. 1.4.2 or 1.4.2+77)`);
  const r = { major: +m[1], minor: +m[2], patch: +m[3], build: m[4] ? +m[4] : 0 };
  if (r.major > 255 || r.minor > 255 || r.patch > 65535 || r.build > 0xffffffff) throw new UsageError(`version '${v}' is out of range (major and minor 0-255, patch 0-65535)`);
  return r;
}

export interface PackOptions {
  board: string;
  version: string;
  payload: Uint8Array;
  mode?: "direct" | "staged";
  allowDowngrade?: boolean;
  /** Check the payload's vector table (stack pointer in RAM, reset vector odd and inside the image) first. Off by default; `typeboot pack` turns it on. */
  checkVectors?: boolean;
}

export function packImage(o: PackOptions): Uint8Array {
  const layout = loadBoard(o.board, o.mode);
  const info = layout.info;
  const v = parseVersion(o.version);
  const max = info.app.size - info.headerSize;
  if (o.payload.length === 0) throw new UsageError("the application binary is empty");
  if (o.payload.length > max) throw new UsageError(`the application (${o.payload.length} bytes) does not fit ${o.board}'s ${max}-byte application slot`);
  if (o.checkVectors) {
    const problem = vectorTableProblem(o.payload, info.app.addr + info.headerSize, layout.file);
    if (problem) throw new UsageError(`${problem} (pass --no-vector-check to pack it anyway)`);
  }
  const header = buildHeader(
    { imageSize: o.payload.length, loadAddress: info.app.addr + info.headerSize, ...v, boardId: info.id, flags: o.allowDowngrade ? FLAG_ALLOW_DOWNGRADE : 0, payloadCrc: crc32(o.payload) },
    crc32,
  );
  const out = new Uint8Array(HEADER_SIZE + o.payload.length);
  out.set(header, 0);
  out.set(o.payload, HEADER_SIZE);
  return out;
}

export interface Inspection {
  header: ImageHeader;
  version: string;
  payloadCrcOk: boolean;
  sizeOk: boolean;
  problems: string[];
}

export function inspectImage(file: Uint8Array): Inspection {
  const h = parseHeader(file.subarray(0, 64), crc32);
  if (isImageError(h)) throw new UsageError(`${h.message} [${h.code}]`);
  const problems: string[] = [];
  const sizeOk = file.length === h.headerSize + h.imageSize;
  if (!sizeOk) problems.push(`file is ${file.length} bytes, the header describes ${h.headerSize + h.imageSize}`);
  const payload = file.subarray(h.headerSize, h.headerSize + h.imageSize);
  const payloadCrcOk = sizeOk && crc32(payload) === h.payloadCrc;
  if (sizeOk && !payloadCrcOk) problems.push(`payload CRC is ${hex(crc32(payload))}, the header says ${hex(h.payloadCrc)}`);
  return { header: h, version: versionString(h), payloadCrcOk, sizeOk, problems };
}

/**
 * What is wrong with an application's vector table at `load`, or null: the initial stack pointer
 * (word 0) must lie in the board's SRAM (0x20000000 + ramKiB) or CCM RAM (0x10000000 + ccmKiB), the
 * top of RAM included (the stack grows down, so SP == end is the usual value; ST's IAP example
 * wrongly refused it); the reset vector (word 1) must have the Thumb bit set and point into the image.
 */
export function vectorTableProblem(payload: Uint8Array, load: number, board: { name?: string; ramKiB?: number; ccmKiB?: number }): string | null {
  if (payload.length < 8) return `the application (${payload.length} bytes) is too short to hold a vector table (initial stack pointer and reset vector)`;
  const word = (o: number) => (payload[o] | (payload[o + 1] << 8) | (payload[o + 2] << 16) | (payload[o + 3] << 24)) >>> 0;
  const sp = word(0);
  const reset = word(4);
  const rams: [string, number, number][] = [["SRAM", 0x20000000, (board.ramKiB ?? 0) * 1024]];
  if (board.ccmKiB) rams.push(["CCM RAM", 0x10000000, board.ccmKiB * 1024]);
  const inRam = rams.some(([, base, size]) => size > 0 && sp > base && sp <= base + size);
  if (!inRam) {
    const where = rams.filter(([, , size]) => size > 0).map(([n, base, size]) => `${n} ${hex(base)}..${hex(base + size)}`).join(" or ");
    return `initial stack pointer ${hex(sp)} (vector table word 0) is not in ${board.name ?? "the board"}'s RAM (${where || "no RAM described in boards/*.json"}): is this binary linked for this board?`;
  }
  if ((reset & 1) === 0) return `reset vector ${hex(reset)} (vector table word 1) is even: Cortex-M code runs in Thumb state, the address needs bit 0 set`;
  const target = (reset & ~1) >>> 0;
  if (target < load || target >= load + payload.length) {
    return `reset vector ${hex(reset)} (vector table word 1) points outside the image (${hex(load)}..${hex(load + payload.length)}): is this binary linked at ${hex(load)}?`;
  }
  return null;
}

/** An application read from a file: the bytes to pack and the address they are linked at (null for a raw .bin). */
export interface Application {
  payload: Uint8Array;
  loadAddress: number | null;
  format: "bin" | "hex" | "elf";
}

/** Memory image from (address, bytes) pieces: from the lowest address to the end of the highest, gaps 0xFF. */
function assemble(pieces: { addr: number; data: Uint8Array }[], what: string, maxSpan: number): { payload: Uint8Array; loadAddress: number } {
  const used = pieces.filter((p) => p.data.length > 0);
  if (!used.length) throw new UsageError(`${what}: contains no data to load`);
  const lo = Math.min(...used.map((p) => p.addr));
  const hi = Math.max(...used.map((p) => p.addr + p.data.length));
  if (hi - lo > maxSpan) throw new UsageError(`${what}: its data spans ${hex(lo)}..${hex(hi)} (${hi - lo} bytes), more than the ${maxSpan}-byte application slot`);
  const payload = new Uint8Array(hi - lo).fill(0xff);
  for (const p of used) payload.set(p.data, p.addr - lo);
  return { payload, loadAddress: lo };
}

/** Intel HEX (record types 00-05, checksums checked). */
export function parseIntelHex(text: string, what: string, maxSpan: number): { payload: Uint8Array; loadAddress: number } {
  const pieces: { addr: number; data: Uint8Array }[] = [];
  let upper = 0;
  let eof = false;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length && !eof; n++) {
    const line = lines[n].trim();
    if (!line) continue;
    const bad = (why: string) => new UsageError(`${what}: line ${n + 1}: ${why}`);
    if (line[0] !== ":" || !/^:([0-9a-fA-F]{2})+$/.test(line)) throw bad("not an Intel HEX record");
    const b = Buffer.from(line.slice(1), "hex");
    if (b.length < 5 || b.length !== b[0] + 5) throw bad("record length does not match its byte count");
    let sum = 0;
    for (const x of b) sum = (sum + x) & 255;
    if (sum !== 0) throw bad("checksum mismatch");
    const len = b[0];
    const off = (b[1] << 8) | b[2];
    const type = b[3];
    const data = b.subarray(4, 4 + len);
    if (type === 0) pieces.push({ addr: (upper + off) >>> 0, data: new Uint8Array(data) });
    else if (type === 1) eof = true;
    else if (type === 2) upper = ((data[0] << 8) | data[1]) * 16;
    else if (type === 4) upper = (((data[0] << 8) | data[1]) << 16) >>> 0;
    else if (type !== 3 && type !== 5) throw bad(`unknown record type ${type}`);
  }
  if (!eof) throw new UsageError(`${what}: no end-of-file record (truncated?)`);
  return assemble(pieces, what, maxSpan);
}

/** A 32-bit little-endian ARM ELF executable: the file contents of its PT_LOAD segments at their physical (load) addresses. */
export function parseElf(b: Uint8Array, what: string, maxSpan: number): { payload: Uint8Array; loadAddress: number } {
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new UsageError(`${what}: not an ELF file`);
  if (b[4] !== 1 || b[5] !== 1) throw new UsageError(`${what}: not a 32-bit little-endian ELF (class ${b[4]}, data ${b[5]}); STM32F4 code is 32-bit little-endian ARM`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const machine = dv.getUint16(18, true);
  if (machine !== 40) throw new UsageError(`${what}: ELF for machine ${machine}, not ARM (40)`);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phnum === 0 || phentsize < 32 || phoff + phnum * phentsize > b.length) throw new UsageError(`${what}: no program headers (link it as an executable, not an object file)`);
  const pieces: { addr: number; data: Uint8Array }[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== 1) continue; // PT_LOAD only
    const offset = dv.getUint32(p + 4, true);
    const paddr = dv.getUint32(p + 12, true);
    const filesz = dv.getUint32(p + 16, true);
    if (filesz === 0) continue; // .bss and the like: nothing to put in flash
    if (offset + filesz > b.length) throw new UsageError(`${what}: segment ${i} runs past the end of the file (truncated?)`);
    pieces.push({ addr: paddr, data: b.subarray(offset, offset + filesz) });
  }
  return assemble(pieces, what, maxSpan);
}

/** Read an application: .bin (raw, loaded at the application address), Intel .hex, or ARM .elf (by extension, or by content). */
export function readApplication(file: string, bytes: Uint8Array, maxSpan: number): Application {
  const ext = (/\.([^./]*)$/.exec(file)?.[1] ?? "").toLowerCase();
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (ext === "elf" || ext === "axf" || ext === "out" || isElf) return { ...parseElf(bytes, file, maxSpan), format: "elf" };
  if (ext === "hex" || ext === "ihex" || ext === "ihx") return { ...parseIntelHex(Buffer.from(bytes).toString("latin1"), file, maxSpan), format: "hex" };
  return { payload: bytes, loadAddress: null, format: "bin" };
}
