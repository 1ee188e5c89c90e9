// typeboot pack: .bin, Intel .hex and ARM .elf inputs, the load-address check, and the vector-table
// check (stack pointer in RAM, top of RAM included; reset vector odd and inside the image).
// The .hex and .elf files are made here by tiny generators (no arm-none-eabi tools needed).
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT, fakeApp, packImage, load } from "./helpers/host.mjs";

const { vectorTableProblem } = load("host/image.js");
const typeboot = (...args) => spawnSync(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), ...args], { encoding: "utf8", timeout: 30000 });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-cli-pack-"));
const f = (name) => path.join(dir, name);
const APP = 0x08040200; // slot 0x08040000 + 512 on both boards

/** Intel HEX: 16-byte data records, an extended linear address record whenever the upper 16 bits change. */
function toHex(pieces) {
  const rec = (type, addr, data) => {
    const b = [data.length, (addr >> 8) & 255, addr & 255, type, ...data];
    const sum = (256 - (b.reduce((a, x) => a + x, 0) & 255)) & 255;
    return ":" + [...b, sum].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join("");
  };
  const lines = [];
  let upper = -1;
  for (const { addr, data } of pieces) {
    for (let o = 0; o < data.length; o += 16) {
      const a = addr + o;
      if (a >>> 16 !== upper) {
        upper = a >>> 16;
        lines.push(rec(4, 0, [upper >> 8, upper & 255]));
      }
      // a record must not cross a 64 KiB boundary: cut it there
      const n = Math.min(16, data.length - o, 0x10000 - (a & 0xffff));
      lines.push(rec(0, a & 0xffff, [...data.subarray(o, o + n)]));
      if (n < 16 && o + n < data.length) o -= 16 - n;
    }
  }
  lines.push(rec(5, 0, [(APP >>> 24) & 255, (APP >>> 16) & 255, (APP >>> 8) & 255, (APP | 1) & 255])); // start linear address
  lines.push(rec(1, 0, []));
  return lines.join("\r\n") + "\r\n";
}

/** A 32-bit little-endian ARM ELF executable with one PT_LOAD program header per segment ({ vaddr, paddr, data, memsz }). */
function toElf(segments) {
  const ehsize = 52, phentsize = 32;
  let offset = ehsize + phentsize * segments.length;
  const placed = segments.map((s) => {
    const p = { ...s, offset };
    offset += s.data.length;
    return p;
  });
  const b = new Uint8Array(offset);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0); // ELFCLASS32, ELFDATA2LSB, EV_CURRENT
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 40, true); // EM_ARM
  dv.setUint32(20, 1, true);
  dv.setUint32(24, APP | 1, true); // entry
  dv.setUint32(28, ehsize, true); // e_phoff
  dv.setUint32(32, 0, true); // no section headers
  dv.setUint32(36, 0x05000200, true); // EABI5, hard-float
  dv.setUint16(40, ehsize, true);
  dv.setUint16(42, phentsize, true);
  dv.setUint16(44, segments.length, true);
  placed.forEach((s, i) => {
    const p = ehsize + i * phentsize;
    dv.setUint32(p, s.type ?? 1, true); // PT_LOAD
    dv.setUint32(p + 4, s.offset, true);
    dv.setUint32(p + 8, s.vaddr ?? s.paddr, true);
    dv.setUint32(p + 12, s.paddr, true);
    dv.setUint32(p + 16, s.data.length, true);
    dv.setUint32(p + 20, s.memsz ?? s.data.length, true);
    dv.setUint32(p + 24, 5, true);
    dv.setUint32(p + 28, 4, true);
    b.set(s.data, s.offset);
  });
  return b;
}

/** A vector table (SP, reset) followed by noise. */
function app(size, sp, reset, seed = 3) {
  const b = fakeApp(size, seed);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, sp >>> 0, true);
  dv.setUint32(4, reset >>> 0, true);
  return b;
}

function packOk(input, out, board = "stm324xg-eval", ...extra) {
  const r = typeboot("pack", "--board", board, "--version", "1.2.3", ...extra, input, "-o", out);
  assert.equal(r.status, 0, `${input}: ${r.stdout}${r.stderr}`);
  return r;
}

function refused(args, msg) {
  const r = typeboot("pack", ...args);
  assert.equal(r.status, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, msg);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  return r;
}

const inspectJson = (file) => {
  const r = typeboot("inspect", "--json", file);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test("pack reads Intel .hex: same image and same inspect output as the .bin", () => {
  const text = fakeApp(5000, 7); // 5000 bytes: records cross no 64 KiB boundary, the last one short
  fs.writeFileSync(f("a.bin"), text);
  fs.writeFileSync(f("a.hex"), toHex([{ addr: APP, data: text }]));
  packOk(f("a.bin"), f("a-bin.tbi"));
  const r = packOk(f("a.hex"), f("a-hex.tbi"));
  assert.match(r.stdout, /5000 bytes at 0x08040200.*from HEX/);
  assert.match(r.stdout, /payload CRC\s+0x[0-9a-f]{8} ok/); // the header is printed after packing
  assert.deepEqual(inspectJson(f("a-hex.tbi")), inspectJson(f("a-bin.tbi")));
  assert.ok(fs.readFileSync(f("a-hex.tbi")).equals(fs.readFileSync(f("a-bin.tbi"))));
});

test("pack reads .hex with gaps and a 64 KiB boundary: gaps are 0xFF", () => {
  const a = fakeApp(0x10000, 11); // crosses 0x08050000: needs a second extended-address record
  const b = fakeApp(300, 12).fill(0x5a);
  const gapAt = APP + 0x10000 + 100;
  fs.writeFileSync(f("g.hex"), toHex([{ addr: APP, data: a }, { addr: gapAt, data: b }]));
  const expect = new Uint8Array(0x10000 + 100 + 300).fill(0xff);
  expect.set(a, 0);
  expect.set(b, 0x10000 + 100);
  fs.writeFileSync(f("g.bin"), expect);
  packOk(f("g.hex"), f("g-hex.tbi"), "nucleo-f429zi");
  packOk(f("g.bin"), f("g-bin.tbi"), "nucleo-f429zi");
  assert.ok(fs.readFileSync(f("g-hex.tbi")).equals(fs.readFileSync(f("g-bin.tbi"))));
});

test("pack reads an ARM ELF: PT_LOAD segments at their physical addresses, .bss skipped, gaps 0xFF", () => {
  const textSeg = fakeApp(4000, 21); // .isr_vector + .text at the application address
  const dataSeg = fakeApp(64, 22).fill(0x33); // .data: runs in RAM (vaddr), stored after .text (paddr), 8 bytes of alignment gap
  const dataAt = APP + 4000 + 8;
  fs.writeFileSync(f("e.elf"), toElf([
    { paddr: APP, data: textSeg },
    { vaddr: 0x20000000, paddr: dataAt, data: dataSeg },
    { vaddr: 0x20000040, paddr: 0x20000040, data: new Uint8Array(0), memsz: 4096 }, // .bss: nothing to store
    { type: 4, paddr: 0, data: new Uint8Array(16) }, // PT_NOTE: not loaded
  ]));
  const expect = new Uint8Array(4000 + 8 + 64).fill(0xff);
  expect.set(textSeg, 0);
  expect.set(dataSeg, 4008);
  fs.writeFileSync(f("e.bin"), expect);
  const r = packOk(f("e.elf"), f("e-elf.tbi"));
  assert.match(r.stdout, /4072 bytes at 0x08040200.*from ELF/);
  packOk(f("e.bin"), f("e-bin.tbi"));
  assert.deepEqual(inspectJson(f("e-elf.tbi")), inspectJson(f("e-bin.tbi")));
  assert.ok(fs.readFileSync(f("e-elf.tbi")).equals(fs.readFileSync(f("e-bin.tbi"))));
});

test("a .hex or .elf linked elsewhere than the application address is refused, naming both addresses", () => {
  const wrong = app(2000, 0x20020000, 0x08000000 + 0x1c1);
  fs.writeFileSync(f("w.hex"), toHex([{ addr: 0x08000000, data: wrong }]));
  fs.writeFileSync(f("w.elf"), toElf([{ paddr: 0x08000000, data: wrong }]));
  for (const file of [f("w.hex"), f("w.elf")]) {
    refused(["--board", "stm324xg-eval", "--version", "1.0.0", file, "-o", f("w.tbi")], /linked at 0x08000000.*application address is 0x08040200/);
  }
  assert.ok(!fs.existsSync(f("w.tbi")));
});

test("malformed .hex and .elf are refused with one line", () => {
  const good = toHex([{ addr: APP, data: fakeApp(64) }]);
  fs.writeFileSync(f("bad-sum.hex"), good.replace(/..\r\n/, (m) => (m[0] === "0" ? "1" : "0") + m.slice(1)));
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("bad-sum.hex")], /line 1: checksum mismatch/);
  fs.writeFileSync(f("no-eof.hex"), good.split("\r\n").slice(0, -2).join("\r\n"));
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("no-eof.hex")], /no end-of-file record/);
  const elf = toElf([{ paddr: APP, data: fakeApp(64) }]);
  const be = elf.slice(); be[5] = 2;
  fs.writeFileSync(f("be.elf"), be);
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("be.elf")], /not a 32-bit little-endian ELF/);
  const x86 = elf.slice(); x86[18] = 3;
  fs.writeFileSync(f("x86.elf"), x86);
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("x86.elf")], /not ARM/);
  // data spread over flash and RAM: larger than the slot, refused before allocating it
  fs.writeFileSync(f("wide.hex"), toHex([{ addr: APP, data: fakeApp(64) }, { addr: 0x20000000, data: fakeApp(16) }]));
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("wide.hex")], /spans 0x08040200\.\.0x20000010/);
});

test("vector table: stack pointer outside RAM, even reset vector, reset vector outside the image → exit 2", () => {
  const cases = [
    [app(1024, 0x30000000, APP + 0x101), /initial stack pointer 0x30000000 .*not in stm324xg-eval's RAM \(SRAM 0x20000000\.\.0x20020000 or CCM RAM 0x10000000\.\.0x10010000\)/],
    [app(1024, 0x20020004, APP + 0x101), /initial stack pointer 0x20020004/], // one word past the top of 128 KiB SRAM
    [app(1024, 0x20000000, APP + 0x101), /initial stack pointer 0x20000000/], // the bottom: the first push leaves RAM
    [app(1024, 0x20020000, APP + 0x100), /reset vector 0x08040300 .*is even.*Thumb/],
    [app(1024, 0x20020000, 0x08000000 + 0x1c1), /reset vector 0x080001c1 .*outside the image \(0x08040200\.\.0x08040600\)/],
    [app(1024, 0x20020000, APP + 1024 + 1), /reset vector 0x08040601 .*outside the image/], // one past the end
    [new Uint8Array([0, 0, 2, 0x20]), /too short to hold a vector table/],
  ];
  cases.forEach(([payload, msg], i) => {
    fs.writeFileSync(f(`v${i}.bin`), payload);
    const r = refused(["--board", "stm324xg-eval", "--version", "1.0.0", f(`v${i}.bin`), "-o", f(`v${i}.tbi`)], msg);
    assert.match(r.stderr, /--no-vector-check/);
    assert.ok(!fs.existsSync(f(`v${i}.tbi`)), "nothing written");
    // --no-vector-check packs it anyway (here written before the input file, which must stay the input)
    const ok = typeboot("pack", "--board", "stm324xg-eval", "--version", "1.0.0", "--no-vector-check", f(`v${i}.bin`), "-o", f(`v${i}.tbi`));
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(fs.existsSync(f(`v${i}.tbi`)));
  });
  // the same checks for a .hex input
  fs.writeFileSync(f("v.hex"), toHex([{ addr: APP, data: app(512, 0x40000000, APP + 0x101) }]));
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("v.hex")], /initial stack pointer 0x40000000/);
});

test("stack pointer at the top of RAM is accepted (ST's IAP example refuses it), in SRAM and CCM, per board", () => {
  for (const [board, sp] of [["stm324xg-eval", 0x20020000], ["nucleo-f429zi", 0x20030000], ["stm324xg-eval", 0x10010000], ["stm324xg-eval", 0x2001fff8]]) {
    const name = `top-${board}-${sp.toString(16)}`;
    fs.writeFileSync(f(name + ".bin"), app(2048, sp, APP + 0x1c1));
    packOk(f(name + ".bin"), f(name + ".tbi"), board);
  }
  // 0x20030000 is past the eval board's 128 KiB
  fs.writeFileSync(f("top-bad.bin"), app(2048, 0x20030000, APP + 0x1c1));
  refused(["--board", "stm324xg-eval", "--version", "1.0.0", f("top-bad.bin")], /initial stack pointer 0x20030000/);
  // the reset vector may be the image's last halfword
  fs.writeFileSync(f("last.bin"), app(2048, 0x20020000, APP + 2046 + 1));
  packOk(f("last.bin"), f("last.tbi"));
});

test("packImage(): no vector check unless asked (checkVectors)", () => {
  const noise = new Uint8Array(256).fill(0xab);
  assert.equal(packImage({ board: "stm324xg-eval", version: "1.0.0", payload: noise }).length, 512 + 256);
  assert.throws(() => packImage({ board: "stm324xg-eval", version: "1.0.0", payload: noise, checkVectors: true }), /initial stack pointer 0xabababab/);
  assert.equal(packImage({ board: "stm324xg-eval", version: "1.0.0", payload: fakeApp(1024), checkVectors: true }).length, 512 + 1024);
  const ram = { name: "b", ramKiB: 128, ccmKiB: 0 };
  assert.equal(vectorTableProblem(app(64, 0x20020000, APP + 1), APP, ram), null);
  assert.match(vectorTableProblem(app(64, 0x10010000, APP + 1), APP, ram), /SRAM 0x20000000\.\.0x20020000\)/); // no CCM on this board
});
