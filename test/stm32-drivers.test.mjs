// The STM32F4 port's drivers on the host, against register-level fakes written from RM0090
// (firmware/test/test_{flash,clock,crc,jump}.c, built by firmware/test/stm32.mk with the host gcc).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUT = path.join(ROOT, "build", "firmware-test");

test("STM32F4 driver tests build", { timeout: 120_000 }, () => {
  if (!fs.existsSync(path.join(ROOT, "build", "boards", "stm324xg-eval.h"))) {
    const g = spawnSync(process.execPath, [path.join(ROOT, "scripts", "gen-board.mjs")], { encoding: "utf8" });
    assert.equal(g.status, 0, g.stderr);
  }
  const r = spawnSync("make", ["-s", "-C", path.join(ROOT, "firmware", "test"), "-f", "stm32.mk"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

for (const [name, what] of [
  ["test_flash", "flash: unlock, sector erase (both banks), word program, error flags, lock, NOR rules, bootloader protection"],
  ["test_clock", "clock tree: 168/180 MHz, wait states, over-drive, a timeout on every ready bit with HSI fallback, deinit"],
  ["test_crc", "CRC unit gives zlib's CRC-32; known-answer test and the table fallback"],
  ["test_jump", "application checks before the jump: stack in SRAM/CCM (top included), Thumb reset vector in the slot"],
]) {
  test(`${name}: ${what}`, { timeout: 60_000 }, () => {
    const r = spawnSync(path.join(OUT, name), { encoding: "utf8", timeout: 50_000 });
    const last = r.stdout.trim().split("\n").pop();
    const m = /^(\d+) passed, (\d+) failed$/.exec(last || "");
    assert.ok(m, `no summary line from ${name}: ${r.stdout}${r.stderr}`);
    assert.equal(Number(m[2]), 0, r.stdout);
    assert.ok(Number(m[1]) > 0);
    assert.equal(r.status, 0);
  });
}
