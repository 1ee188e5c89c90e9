/**
 * The TypeBoot image header: 512 bytes in front of the application binary.
 *
 *   0x000 u32 magic 'TBOT'        0x004 u16 header version   0x006 u16 header size (512)
 *   0x008 u32 image (payload) size                           0x00C u32 load address
 *   0x010 u8 major, u8 minor, u16 patch                      0x014 u32 build
 *   0x018 u32 board id            0x01C u32 flags            0x020 u32 CRC-32 of the payload
 *   0x024 u32 length of the TLV area at 0x040                0x028..0x03B reserved, zero
 *   0x03C u32 CRC-32 of bytes 0x000..0x03B (the header CRC)
 *   0x040..0x0FF TLV area: u16 type, u16 length, data. Readers skip types they do not know,
 *                so a signature can be added later without breaking old bootloaders.
 *   0x100..0x1FF owned by the device, 0xFF in the file, never programmed from the upload:
 *     0x100..0x1BF the upload's progress log: per slot sector k, at 0x100 + 8k, the CRC of what the
 *                  sector holds and the same XOR 0x5A5A5A5A ^ k (a torn entry does not check)
 *     0x1C0..0x1FF status words, programmed once each (NOR flash) to record valid, confirmed,
 *                  installed, rejected and boot attempts; spare confirm words at 0x1F0..0x1FC.
 *
 * All fields little-endian. The load address is where the vector table sits: slot + 512, which
 * keeps it aligned for VTOR on every STM32F4.
 */

import type { BoardInfo, Region } from "../platform/contract";

export const MAGIC = 0x544f4254; // "TBOT" in memory order
export const HEADER_VERSION = 1;
export const HEADER_SIZE = 512;
export const FIXED_SIZE = 64;
export const TLV_START = 0x40;
export const STATUS_START = 0x1c0;
/** The device-owned part of the header (progress log + status words): the writer leaves it erased. */
export const DEVICE_START = 0x100;
export const PROGRESS_SALT = 0x5a5a5a5a;
export const MAX_PROGRESS = (STATUS_START - DEVICE_START) / 8;

/** Status word offsets from the slot start, and the values they are programmed to. */
export const STATUS_VALID = 0x1c0;
export const STATUS_CONFIRMED = 0x1c4;
export const STATUS_INSTALLED = 0x1c8;
export const STATUS_REJECTED = 0x1cc;
export const STATUS_ATTEMPTS = 0x1d0;
export const MAX_ATTEMPT_WORDS = 8;
/** Confirm words: the first, then spares used when an earlier one was torn by a power cut. */
export const CONFIRM_WORDS = [0x1c4, 0x1f0, 0x1f4, 0x1f8, 0x1fc];
export const MARK_VALID = 0x44494c56; // "VLID"
export const MARK_CONFIRMED = 0x4d464e43; // "CNFM"
export const MARK_INSTALLED = 0x54534e49; // "INST"
export const MARK_REJECTED = 0x54434a52; // "RJCT"
export const ERASED = 0xffffffff;

/** Header flag: the upload may replace a newer confirmed image (downgrade allowed). */
export const FLAG_ALLOW_DOWNGRADE = 1;

export interface ImageHeader {
  headerVersion: number;
  headerSize: number;
  imageSize: number;
  loadAddress: number;
  major: number;
  minor: number;
  patch: number;
  build: number;
  boardId: number;
  flags: number;
  payloadCrc: number;
  tlvLength: number;
}

export type Crc32 = (data: Uint8Array, init?: number) => number;

/** Why an image is refused: a stable code for programs and a sentence for people. */
export interface ImageError {
  code: string;
  message: string;
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255;
  b[o + 1] = (v >>> 8) & 255;
  b[o + 2] = (v >>> 16) & 255;
  b[o + 3] = (v >>> 24) & 255;
}

/** A 32-bit value as the 4 bytes a word program writes (little-endian). */
export function le32(v: number): Uint8Array {
  return new Uint8Array([v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255]);
}

export function hex(n: number): string {
  return "0x" + ("0000000" + (n >>> 0).toString(16)).slice(-8);
}

export function versionString(h: { major: number; minor: number; patch: number; build: number }): string {
  return h.major + "." + h.minor + "." + h.patch + (h.build ? "+" + h.build : "");
}

/** Compare versions: negative when a is older than b (build counts last). */
export function compareVersions(a: ImageHeader, b: ImageHeader): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || a.build - b.build;
}

function err(code: string, message: string): ImageError {
  return { code: code, message: message };
}

/**
 * Parse and check the fixed header (at least 64 bytes). Checks only what the bytes alone can
 * tell: magic, header CRC, header version and size. Returns the header or an ImageError.
 */
export function parseHeader(b: Uint8Array, crc32: Crc32): ImageHeader | ImageError {
  if (b.length < FIXED_SIZE) return err("TRUNCATED", "image is shorter than its 64-byte header");
  if (u32(b, 0) !== MAGIC) return err("BAD_MAGIC", "not a TypeBoot image (bad magic)");
  if (crc32(b.subarray(0, 0x3c)) !== u32(b, 0x3c)) return err("BAD_HEADER_CRC", "image header is corrupt (header CRC mismatch)");
  const h: ImageHeader = {
    headerVersion: u16(b, 4),
    headerSize: u16(b, 6),
    imageSize: u32(b, 8),
    loadAddress: u32(b, 12),
    major: b[16],
    minor: b[17],
    patch: u16(b, 18),
    build: u32(b, 20),
    boardId: u32(b, 24),
    flags: u32(b, 28),
    payloadCrc: u32(b, 32),
    tlvLength: u32(b, 36),
  };
  if (h.headerVersion !== HEADER_VERSION) return err("BAD_HEADER_VERSION", "header version " + h.headerVersion + " not supported");
  if (h.headerSize !== HEADER_SIZE || h.tlvLength > DEVICE_START - TLV_START) {
    return err("BAD_HEADER_SIZE", "header size " + h.headerSize + ", TLVs " + h.tlvLength + ": not supported");
  }
  return h;
}

export function isImageError(x: ImageHeader | ImageError): x is ImageError {
  return (x as ImageError).code !== undefined;
}

/**
 * Check a parsed header against this board: board id, load address, size against the slot
 * the bytes will be written to. Runs before anything is erased.
 */
export function checkForBoard(h: ImageHeader, board: BoardInfo, target: Region): ImageError | null {
  if (h.boardId !== board.id) return err("WRONG_BOARD", "image is for board id " + h.boardId + ", this is " + board.name + " (id " + board.id + ")");
  const load = board.app.addr + board.headerSize;
  if (h.loadAddress !== load) return err("BAD_LOAD_ADDRESS", "load address " + hex(h.loadAddress) + ", this board's is " + hex(load));
  const max = Math.min(target.size, board.app.size) - board.headerSize;
  if (h.imageSize === 0 || h.imageSize > max) return err("TOO_LARGE", "image of " + h.imageSize + " bytes does not fit the " + max + "-byte slot");
  return null;
}

/** Build a 512-byte header for a payload (host tools and tests). Status words stay 0xFF. */
export function buildHeader(
  f: { imageSize: number; loadAddress: number; major: number; minor: number; patch: number; build: number; boardId: number; flags: number; payloadCrc: number },
  crc32: Crc32,
): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  for (let i = FIXED_SIZE; i < HEADER_SIZE; i++) b[i] = 0xff;
  put32(b, 0, MAGIC);
  b[4] = HEADER_VERSION;
  b[6] = HEADER_SIZE & 255;
  b[7] = HEADER_SIZE >> 8;
  put32(b, 8, f.imageSize);
  put32(b, 12, f.loadAddress);
  b[16] = f.major;
  b[17] = f.minor;
  b[18] = f.patch & 255;
  b[19] = (f.patch >> 8) & 255;
  put32(b, 20, f.build);
  put32(b, 24, f.boardId);
  put32(b, 28, f.flags);
  put32(b, 32, f.payloadCrc);
  put32(b, 36, 0);
  put32(b, 0x3c, crc32(b.subarray(0, 0x3c)));
  return b;
}
