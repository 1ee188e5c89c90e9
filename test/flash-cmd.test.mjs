// typeboot flash --dry-run: the exact openocd / st-flash commands for each board and probe, the
// application written at its slot with the valid and confirmed marks, and refusals of bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = (...args) => spawnSync(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), ...args], { encoding: "utf8", timeout: 30_000 });

test("typeboot flash --dry-run prints the probe commands with the right addresses", { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-flash-"));
  try {
    const boot = path.join(dir, "boot.bin");
    fs.writeFileSync(boot, Buffer.alloc(1024, 0x5a));
    const app = path.join(dir, "app.bin");
    const payload = Buffer.alloc(256, 0);
    payload.writeUInt32LE(0x20020000, 0);
    payload.writeUInt32LE(0x08040200 + 0x41, 4);
    fs.writeFileSync(app, payload);
    const tbi = path.join(dir, "app.tbi");
    let r = cli("pack", "--board", "stm324xg-eval", "--version", "1.2.3", app, "-o", tbi);
    assert.equal(r.status, 0, r.stderr);

    r = cli("flash", "--board", "stm324xg-eval", "--dry-run", "--app", tbi, boot);
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.trim();
    assert.match(line, /^openocd -f interface\/stlink\.cfg -f target\/stm32f4x\.cfg /);
    assert.ok(line.includes(`program ${boot} 0x08000000 verify'`), line);
    const m = /program (\S+) 0x08040000 verify reset exit/.exec(line);
    assert.ok(m, line);
    const marked = fs.readFileSync(m[1]);
    assert.equal(marked.readUInt32LE(0x1c0), 0x44494c56, "valid mark");
    assert.equal(marked.readUInt32LE(0x1c4), 0x4d464e43, "confirmed mark");
    assert.deepEqual(marked.subarray(0x200), payload, "payload unchanged");
    fs.rmSync(path.dirname(m[1]), { recursive: true, force: true });

    r = cli("flash", "--board", "nucleo-f429zi", "--probe", "stlink", "--dry-run", boot);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `st-flash --reset write ${boot} 0x08000000`);

    r = cli("flash", "--board", "nucleo-f429zi", "--dry-run", "--app", tbi, boot);
    assert.equal(r.status, 2, "an image for another board is refused");
    assert.match(r.stderr, /board id 1031/);
    r = cli("flash", "--board", "nucleo-f429zi", "--probe", "jlink", "--dry-run", boot);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--probe must be openocd or stlink/);
    const big = path.join(dir, "big.bin");
    fs.writeFileSync(big, Buffer.alloc(256 * 1024 + 4));
    r = cli("flash", "--board", "stm324xg-eval", "--dry-run", big);
    assert.equal(r.status, 2, "a bootloader larger than sectors 0-5 is refused");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
