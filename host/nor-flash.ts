/**
 * A NOR-flash model with the STM32F4's rules, driven by flash-layout.json's sector map:
 * erase sets a whole sector to 0xFF; programming is by whole 32-bit words (x32 parallelism) at
 * word-aligned addresses and fails on a word that is not erased; protected sectors (the
 * bootloader) refuse both. Optional datasheet timing (a synchronous stall, as on a single-bank
 * chip); an optional file keeps the contents between runs; a power-cut hook stops the world at the
 * Nth flash operation, before it, after it, or in the middle (a torn word, a half-erased sector).
 */
import * as fs from "node:fs";
import type { Region } from "../src/platform/contract";
import type { ChipTiming, Sector } from "./layout";

export class PowerCut extends Error {
  constructor(public op: number) {
    super(`power cut at flash operation ${op}`);
  }
}

export type CutWhen = "before" | "after" | "middle";

export interface NorOptions {
  base: number;
  sectors: Sector[];
  /** Keep contents in this file (created erased if missing). */
  file?: string;
  /** Start from these contents (a reset without a file keeps flash this way). */
  initial?: Uint8Array;
  /** Stall like the datasheet's typical times. */
  timing?: ChipTiming | null;
  /** Regions that refuse erase and program. */
  protect?: Region[];
  /** Cut the power at this operation (1-based). */
  cutAt?: number;
  cutWhen?: CutWhen;
  /** Random source for torn writes (seeded by the fault campaign). */
  random?: () => number;
}

export class NorFlash {
  readonly base: number;
  readonly size: number;
  readonly sectors: Sector[];
  bytes: Uint8Array;
  /** Flash operations done (erase = 1, program = 1 per call). */
  ops = 0;
  erases: number[] = [];
  programmedBytes = 0;
  /** Simulated busy time in microseconds (counted whether or not timing stalls). */
  busyUs = 0;
  private fd: number | null = null;
  private owedUs = 0;
  private sleeper = new Int32Array(new SharedArrayBuffer(4));

  constructor(private o: NorOptions) {
    this.base = o.base;
    this.sectors = o.sectors;
    const last = o.sectors[o.sectors.length - 1];
    this.size = last.addr + last.size - o.base;
    this.bytes = new Uint8Array(this.size).fill(0xff);
    if (o.initial) this.bytes.set(o.initial);
    if (o.file) {
      if (fs.existsSync(o.file)) {
        const data = fs.readFileSync(o.file);
        if (data.length !== this.size) throw new Error(`flash file ${o.file} holds ${data.length} bytes, the chip has ${this.size}`);
        this.bytes.set(data);
      } else {
        fs.writeFileSync(o.file, this.bytes);
      }
      this.fd = fs.openSync(o.file, "r+");
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }

  sectorAt(addr: number): Sector | undefined {
    return this.sectors.find((s) => addr >= s.addr && addr < s.addr + s.size);
  }

  private checkProtect(addr: number, len: number, what: string): void {
    for (const r of this.o.protect || []) {
      if (addr < r.addr + r.size && r.addr < addr + len) throw new Error(`${what} at 0x${addr.toString(16)}: sector is write-protected (bootloader)`);
    }
  }

  /** Count an operation; cut the power here if asked. Returns true when the op must be torn. */
  private op(): boolean {
    this.ops++;
    if (this.o.cutAt === this.ops) {
      const when = this.o.cutWhen || "before";
      if (when === "before") throw new PowerCut(this.ops);
      return when === "middle";
    }
    return false;
  }

  private afterOp(): void {
    if (this.o.cutAt === this.ops) throw new PowerCut(this.ops);
  }

  private stall(us: number): void {
    this.busyUs += us;
    if (!this.o.timing) return;
    this.owedUs += us;
    if (this.owedUs >= 1000) {
      const ms = Math.floor(this.owedUs / 1000);
      this.owedUs -= ms * 1000;
      Atomics.wait(this.sleeper, 0, 0, ms);
    }
  }

  private persist(off: number, len: number): void {
    if (this.fd !== null) fs.writeSync(this.fd, this.bytes, off, len, off);
  }

  private rnd(): number {
    return this.o.random ? this.o.random() : Math.random();
  }

  erase(addr: number): void {
    const s = this.sectorAt(addr);
    if (!s) throw new Error(`erase at 0x${addr.toString(16)}: outside flash`);
    this.checkProtect(s.addr, s.size, "erase");
    const torn = this.op();
    const off = s.addr - this.base;
    if (torn) {
      // Half-erased: part 0xFF, the rest unpredictable.
      const cut = Math.floor(this.rnd() * s.size);
      this.bytes.fill(0xff, off, off + cut);
      for (let i = cut; i < s.size; i++) this.bytes[off + i] &= Math.floor(this.rnd() * 256);
      this.persist(off, s.size);
      throw new PowerCut(this.ops);
    }
    this.bytes.fill(0xff, off, off + s.size);
    this.persist(off, s.size);
    this.erases.push(s.addr);
    const ms = (this.o.timing?.eraseMs[String(s.size / 1024)] ?? 1000) * 1000;
    this.stall(ms);
    this.afterOp();
  }

  program(addr: number, data: Uint8Array): void {
    if (addr % 4 || data.length % 4) throw new Error(`program at 0x${addr.toString(16)} of ${data.length} bytes: address and length must be multiples of 4`);
    if (addr < this.base || addr + data.length > this.base + this.size) throw new Error(`program at 0x${addr.toString(16)}: outside flash`);
    this.checkProtect(addr, data.length, "program");
    const off = addr - this.base;
    for (let i = 0; i < data.length; i += 4) {
      const w = this.bytes[off + i] & this.bytes[off + i + 1] & this.bytes[off + i + 2] & this.bytes[off + i + 3];
      if (w !== 0xff) throw new Error(`program at 0x${(addr + i).toString(16)}: word is not erased`);
    }
    const torn = this.op();
    if (torn) {
      // Torn: a prefix programmed, then one word with only some of its bits cleared.
      const words = data.length / 4;
      const done = Math.floor(this.rnd() * words);
      this.bytes.set(data.subarray(0, done * 4), off);
      for (let i = done * 4; i < done * 4 + 4; i++) this.bytes[off + i] = 0xff & (data[i] | Math.floor(this.rnd() * 256));
      this.persist(off, data.length);
      throw new PowerCut(this.ops);
    }
    this.bytes.set(data, off);
    this.persist(off, data.length);
    this.programmedBytes += data.length;
    this.stall((data.length / 4) * (this.o.timing?.wordProgramUs ?? 16));
    this.afterOp();
  }

  read(addr: number, len: number): Uint8Array {
    if (addr < this.base || addr + len > this.base + this.size) throw new Error(`read at 0x${addr.toString(16)}: outside flash`);
    return this.bytes.slice(addr - this.base, addr - this.base + len);
  }

  view(addr: number, len: number): Uint8Array {
    return this.bytes.subarray(addr - this.base, addr - this.base + len);
  }
}
