import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NorFlash, PowerCut, loadBoard } from "./helpers/host.mjs";

const KiB = 1024;

test("STM32F407IG sector map (RM0090): 4x16K, 64K, 7x128K = 1 MiB", () => {
  const l = loadBoard("stm324xg-eval");
  assert.equal(l.sectors.length, 12);
  assert.deepEqual(l.sectors.slice(0, 6).map((s) => [s.addr, s.size]), [
    [0x08000000, 16 * KiB], [0x08004000, 16 * KiB], [0x08008000, 16 * KiB], [0x0800c000, 16 * KiB], [0x08010000, 64 * KiB], [0x08020000, 128 * KiB],
  ]);
  assert.equal(l.sectors[11].addr + l.sectors[11].size, 0x08100000);
  assert.deepEqual(l.info.bootloader, { addr: 0x08000000, size: 256 * KiB });
  assert.deepEqual(l.info.app, { addr: 0x08040000, size: 768 * KiB });
});

test("STM32F429ZI: two banks of the same geometry, bank 2 from 0x08100000; staging in bank 2", () => {
  const l = loadBoard("nucleo-f429zi");
  assert.equal(l.sectors.length, 24);
  assert.equal(l.sectors[12].addr, 0x08100000);
  assert.equal(l.sectors[12].size, 16 * KiB);
  assert.equal(l.sectors[16].size, 64 * KiB);
  assert.equal(l.sectors[23].addr + l.sectors[23].size, 0x08200000);
  assert.equal(l.info.mode, "staged");
  assert.deepEqual(l.info.staging, { addr: 0x08120000, size: 768 * KiB });
  assert.deepEqual(l.info.scratch, { addr: 0x081e0000, size: 128 * KiB });
  const staged407 = loadBoard("stm324xg-eval", "staged").info;
  assert.deepEqual([staged407.app.size, staged407.staging.size, staged407.scratch.size], [256 * KiB, 256 * KiB, 128 * KiB]);
});

function model(extra = {}) {
  const l = loadBoard("stm324xg-eval");
  return new NorFlash({ base: l.flashBase, sectors: l.sectors, protect: [l.info.bootloader], ...extra });
}

test("NOR rules: erase to 0xFF, program whole erased words only, alignment, bounds", () => {
  const f = model();
  assert.ok(f.bytes.every((b) => b === 0xff));
  f.program(0x08040000, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.deepEqual([...f.read(0x08040000, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => f.program(0x08040000, new Uint8Array([0, 0, 0, 0])), /not erased/);
  assert.throws(() => f.program(0x08040002, new Uint8Array(4)), /multiples of 4/);
  assert.throws(() => f.program(0x08040008, new Uint8Array(3)), /multiples of 4/);
  assert.throws(() => f.program(0x08100000, new Uint8Array(4)), /outside flash/);
  f.erase(0x08040010);
  assert.ok(f.read(0x08040000, 128 * KiB).every((b) => b === 0xff));
  assert.deepEqual(f.erases, [0x08040000]);
  assert.equal(f.ops, 2);
});

test("the bootloader sectors refuse erase and program", () => {
  const f = model();
  assert.throws(() => f.erase(0x08000000), /write-protected/);
  assert.throws(() => f.program(0x0803fffc, new Uint8Array(4)), /write-protected/);
  assert.throws(() => f.program(0x0803fffc, new Uint8Array(8)), /write-protected/);
  assert.equal(f.ops, 0);
});

test("power cut before, after, and in the middle of an operation", () => {
  let f = model({ cutAt: 2, cutWhen: "before" });
  f.program(0x08040000, new Uint8Array(4).fill(0));
  assert.throws(() => f.program(0x08040004, new Uint8Array(4).fill(0)), PowerCut);
  assert.deepEqual([...f.read(0x08040004, 4)], [255, 255, 255, 255]);
  f = model({ cutAt: 1, cutWhen: "after" });
  assert.throws(() => f.program(0x08040000, new Uint8Array(4).fill(0)), PowerCut);
  assert.deepEqual([...f.read(0x08040000, 4)], [0, 0, 0, 0]);
  f = model({ cutAt: 2, cutWhen: "middle", random: () => 0.5 });
  f.program(0x08040000, new Uint8Array(64).fill(0));
  assert.throws(() => f.erase(0x08040000), PowerCut);
  const s = f.read(0x08040000, 128 * KiB);
  assert.ok(s.subarray(0, 64 * KiB).every((b) => b === 0xff), "first half erased");
  assert.ok(!s.every((b) => b === 0xff), "the sector is not fully erased");
});

test("flash contents persist in a file, and datasheet timing is accounted", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tb-nor-")), "f.flash");
  const l = loadBoard("stm324xg-eval");
  let f = new NorFlash({ base: l.flashBase, sectors: l.sectors, file, timing: null });
  f.program(0x080fff00, new Uint8Array([9, 8, 7, 6]));
  f.close();
  assert.equal(fs.statSync(file).size, 1024 * KiB);
  f = new NorFlash({ base: l.flashBase, sectors: l.sectors, file, timing: l.timing });
  assert.deepEqual([...f.read(0x080fff00, 4)], [9, 8, 7, 6]);
  const t0 = Date.now();
  f.erase(0x0800c000); // 16 KiB: 250 ms typical
  assert.ok(Date.now() - t0 >= 240, "16 KiB erase stalls about 250 ms");
  f.program(0x0800c000, new Uint8Array(4096));
  assert.equal(f.busyUs, 250000 + 1024 * 16);
  f.close();
});
