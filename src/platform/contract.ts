/**
 * The platform contract: everything the TypeScript logic may ask of whatever runs it.
 *
 * On the chip these are native modules of the C runtime (firmware/); under Node they are
 * adapters in host/ over a NOR-flash model and Node's dgram/net. The names follow Espruino
 * where Espruino has the concept (Flash.getPage/getFree/erasePage/write/read, E.CRC32,
 * E.toString/E.toUint8Array, dgram/net shaped like Node's), and `Boot` is ours.
 *
 * Only types live here, so this file costs nothing in the bundles.
 */

/** A flash page (sector) as Espruino's Flash.getPage() returns it. */
export interface FlashPage {
  addr: number;
  length: number;
}

/**
 * require("Flash"). Writes are synchronous, like Espruino's: on a single-bank STM32F4 the CPU
 * stalls while flash is busy anyway. Errors (misaligned write, programming a word that is not
 * erased, touching a protected sector) throw an Error whose message names the problem.
 */
export interface FlashModule {
  /** The sector that holds addr, or undefined outside flash. */
  getPage(addr: number): FlashPage | undefined;
  /** Areas the bootloader may erase (its own sectors are never listed). */
  getFree(): FlashPage[];
  /** Erase the sector that holds addr to 0xFF. */
  erasePage(addr: number): void;
  /** Program data at addr; addr and data.length must be multiples of 4 and the words erased. */
  write(data: Uint8Array, addr: number): void;
  /** Read length bytes at addr. */
  read(length: number, addr: number): Uint8Array;
  /** Native CRC-32 (IEEE 802.3, as zlib) of a flash range; init continues an earlier CRC. */
  crc32(addr: number, length: number, init?: number): number;
  /** Optional (native runtime): does flash at addr hold exactly data? The writer's read-back check
   *  (one compare); without it the writer compares CRCs. */
  verify?(addr: number, data: Uint8Array): boolean;
}

/** Remote address of a datagram, as Node's rinfo. */
export interface RemoteInfo {
  address: string;
  port: number;
}

/**
 * A UDP socket, the subset of Node's dgram.Socket that Espruino's dgram also has.
 * Each "message" delivers a fresh Uint8Array the logic may keep (the writer queues DATA until its
 * flash work runs); send() copies the bytes before it returns.
 */
export interface UdpSocket {
  bind(port: number, address?: string, cb?: () => void): void;
  on(event: "message", fn: (msg: Uint8Array, rinfo: RemoteInfo) => void): void;
  on(event: "error", fn: (err: Error) => void): void;
  on(event: "listening", fn: () => void): void;
  /** See offload(): blocks received and acknowledged by the platform, the last block in them, the
   *  last block acknowledged (the same unless the batch ended inside a window). */
  on(event: "batch", fn: (data: Uint8Array, last: number, acked: number) => void): void;
  send(buf: Uint8Array, offset: number, length: number, port: number, address: string): void;
  close(): void;
  /**
   * Optional (native runtime): TFTP receive offload, for a write transfer at a window boundary (the
   * ACK of block next - 1 sent). Until it ends, each DATA from address:port that is block `next`
   * and exactly blksize bytes long is appended to a buffer of `bytes` (rounded down to whole windows,
   * at least one) and acknowledged by the
   * platform at each window boundary (every `window` blocks), with no JS call; a repeat of the block
   * last acknowledged is acknowledged again (once per gap) and dropped. Anything else ends it (another
   * peer or opcode, a gap, a short block, the buffer full, a JS timer due, close()): the "batch" event
   * comes first (unless nothing was gathered), then the packet that ended it as a "message"; the
   * "batch" handler cannot re-arm before that message. Returns false when it was not armed (another
   * socket has it, or it still holds blocks).
   */
  offload?(address: string, port: number, next: number, blksize: number, window: number, bytes: number): boolean;
}

/** require("dgram"). */
export interface DgramModule {
  createSocket(type: "udp4"): UdpSocket;
  /** true when send() has handed the datagram to the network before it returns (the native runtime:
   *  lwIP and the host port); Node sends on a later tick. */
  sendsNow?: boolean;
}

/** A TCP connection, the subset of Node's net.Socket the servers use. */
export interface TcpSocket {
  remoteAddress?: string;
  remotePort?: number;
  /** Each "data" event delivers a fresh Uint8Array the logic may keep. */
  on(event: "data", fn: (data: Uint8Array) => void): void;
  on(event: "end" | "close" | "drain", fn: () => void): void;
  on(event: "error", fn: (err: Error) => void): void;
  /** Queue bytes; returns false when the send buffer is full ("drain" follows). */
  write(data: Uint8Array | string): boolean;
  /** Stop reading (flow control while flash is busy); resume() starts again. */
  pause(): void;
  resume(): void;
  /** Close after the queued bytes are sent. */
  end(): void;
  /** Close now. */
  destroy(): void;
}

export interface TcpServer {
  listen(port: number, address?: string, cb?: () => void): void;
  on(event: "error", fn: (err: Error) => void): void;
  close(): void;
}

/** require("net"). */
export interface NetModule {
  createServer(onConnection: (socket: TcpSocket) => void): TcpServer;
}

/** One region of flash, in bytes. */
export interface Region {
  addr: number;
  size: number;
}

/** Board and flash layout, from boards/ and flash-layout.json (generated into the runtime). */
export interface BoardInfo {
  /** Board name, e.g. "stm324xg-eval". */
  name: string;
  /** Board id written into image headers. */
  id: number;
  /** "direct": uploads overwrite the application slot; "staged": they go to the staging slot. */
  mode: "direct" | "staged";
  /** Size of the image header in front of the application's vector table. */
  headerSize: number;
  /** Boots a new (unconfirmed) image gets before the previous one is restored. */
  trialAttempts: number;
  /** When the boot policy recomputes payload CRCs over flash: "always" at every boot, or
   * "unconfirmed": for every image it installs, rolls back to or trial-boots, while a confirmed image
   * (its CRC was checked in flash before its valid mark, it has run and confirmed itself) boots on its
   * header CRC and marks. Boards without a CRC unit use the latter to boot fast. */
  verifyAtBoot: "always" | "unconfirmed";
  bootloader: Region;
  app: Region;
  staging?: Region;
  scratch?: Region;
  /** Staged mode: the boot-state log (src/boot/record.ts), one sector. */
  record?: Region;
}

/** require("Boot"): reset, jump, persistent boot-request word, board I/O. */
export interface BootModule {
  /** Restart the chip (on the host: restart the runtime, flash and state kept). */
  reset(): void;
  /** Hand the CPU to the application whose vector table is at addr. Does not return on a chip. */
  jump(addr: number): void;
  /** The word kept across reset (RTC backup register): the application sets it to ask for update mode. */
  getRequest(): number;
  setRequest(word: number): void;
  /** Was the board's button held when the chip came out of reset? */
  buttonAtReset(): boolean;
  led(index: number, on: boolean): void;
  /** Monotonic milliseconds since reset. */
  millis(): number;
  /** 32 random bits (the RNG peripheral on the chip). */
  random32(): number;
  board(): BoardInfo;
  /** Console output. */
  log(text: string): void;
  /** Static web assets (login and upload pages), kept as data by the runtime. */
  asset(name: string): Uint8Array | undefined;
  /** Credentials for the HTTP login, set at build time (or by the simulator's options). */
  credentials(): { user: string; password: string } | undefined;
  /** The JS heap (the runtime's accounting): bytes in use and their high-water mark (garbage
   * included), arena size, live bytes after the last collection and their high-water mark. */
  heap?(): { used: number; peak: number; size: number; live?: number; livePeak?: number };
  /** The last uncaught JS error or out-of-memory the runtime recovered from. */
  lastError?(): string | undefined;
}

/** Handle of a timer. */
export type TimerId = number | object;

/** E: Espruino's utility object, the part the logic uses. Natives: byte work happens in C. */
export interface EModule {
  /** CRC-32 (IEEE) of data; init continues an earlier CRC. */
  CRC32(data: Uint8Array, init?: number): number;
  /** Bytes to a binary string (one char per byte). */
  toString(data: Uint8Array): string;
  /** Binary string to bytes. */
  toUint8Array(s: string): Uint8Array;
  /** Index of needle in haystack at or after start, or -1 (native: multipart boundary search). */
  indexOf(haystack: Uint8Array, needle: Uint8Array, start: number): number;
}

/** Everything, gathered: the logic takes one of these, so tests can hand it a fake. */
export interface Platform {
  flash: FlashModule;
  dgram: DgramModule;
  net: NetModule;
  boot: BootModule;
  E: EModule;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  /** Base64 to a binary string (Espruino's and the browsers' global atob; native). */
  atob(base64: string): string;
}

/** The word the application writes into the boot-request register to ask for update mode. */
export const REQUEST_UPDATE = 0x55504454; // "UPDT"
