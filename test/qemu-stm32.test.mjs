// The STM324xG-EVAL build on QEMU's netduinoplus2 (an STM32F405: the F407's core, flash and SRAM
// without the peripherals QEMU does not model): the bootloader boots through the timeouts of the
// missing RCC, runs the boot-policy bytecode, checks the preloaded example application (header,
// CRC of the payload in flash) and jumps to it; the application prints its version and how many
// instructions it took to get there (TIM2 under -icount shift=0), and its `update` command resets
// the chip (QEMU exits: -no-reboot). A corrupted image is refused: the boot policy chooses update mode.
// The console is USART3 (the EVAL's): the third -serial.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ensureBuilt, markedImage, runQemu } from "./qemu-stm32-run.mjs";

test("netduinoplus2: boot, CRC check, jump to the example application, its update command resets", { timeout: 300_000 }, async () => {
  const { elf, tbi } = await ensureBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-qemu-"));
  try {
    const r = await runQemu(elf, markedImage(tbi, dir), {
      until: (o) => /\n> /.test(o),
      input: "update\r",
    });
    assert.equal(r.code, 0, `QEMU exits at the application's reset (-no-reboot): ${r.code}\n${r.out}`);
    const o = r.out;
    assert.match(o, /TypeBoot on STM324xG-EVAL/);
    assert.match(o, /clock: HSI 16 MHz \(HSERDY timed out\)/, "the missing RCC is survived through the HSE timeout");
    assert.match(o, /crc: table in C/, "QEMU's CRC unit reads 0: the known-answer test sends CRC work to the table version");
    assert.match(o, /boot: run \(application 1\.0\.0 is confirmed\)/, "the boot bytecode checked the image");
    assert.match(o, /jump: application at 0x08040200/);
    assert.match(o, /APP 1\.0\.0 running on STM324xG-EVAL/);
    const m = /reset to application: (\d+) timer counts/.exec(o);
    assert.ok(m, "the application printed its TIM2 count");
    const n = Number(m[1]);
    assert.ok(n > 100_000 && n < 200_000_000, `instructions from reset to the application: ${n}`);
    assert.match(o, /update mode requested, resetting/);
    assert.ok(o.indexOf("jump:") < o.indexOf("APP 1.0.0"), "the application runs after the jump");
    assert.ok(!/FAULT/.test(o), o);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("netduinoplus2: a corrupted application is refused (payload CRC): the boot policy chooses update mode", { timeout: 300_000 }, async () => {
  const { elf, tbi } = await ensureBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-qemu-"));
  try {
    // Stops at the decision: what follows (update mode) needs more heap than SRAM alone once lwIP is
    // linked, and QEMU's netduinoplus2 has no CCM for the rest (a real F407 has).
    const r = await runQemu(elf, markedImage(tbi, dir, true), { until: (o) => /boot: update [^\n]*\n/.test(o) });
    assert.equal(r.code, "matched", r.out);
    assert.match(r.out, /boot: update \(no valid application \(payload CRC mismatch\)\)/);
    assert.ok(!/APP 1\.0\.0/.test(r.out) && !/jump:/.test(r.out), "never jumped");
    assert.ok(!/FAULT/.test(r.out), r.out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
