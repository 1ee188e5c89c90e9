// The chip drivers on the host: every firmware/test/test_*.c program (a driver against a
// register-level fake of its peripheral, firmware/test/Makefile) is built, run, and must end with
// "N passed, 0 failed". Then the drivers are cross-compiled for the Cortex-M4 with -Werror
// (`make -C firmware/test arm`), skipped with a message when arm-none-eabi-gcc is not installed.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIR = path.join(ROOT, "firmware", "test");
const OUT = path.join(ROOT, "build", "firmware-test");
const programs = fs.readdirSync(DIR).filter((f) => /^test_[a-z0-9_]+\.c$/.test(f)).sort().map((f) => f.slice(0, -2));

const make = (...args) => spawnSync("make", ["-s", "-C", DIR, ...args], { cwd: ROOT, encoding: "utf8", timeout: 300000 });
const m32 = spawnSync("gcc", ["-m32", "-x", "c", "-o", "/dev/null", "-"], { input: "int main(void){return 0;}", encoding: "utf8" });

test("firmware/test has driver test programs", () => {
  assert.ok(programs.includes("test_eth"), `found: ${programs.join(", ")}`);
});

for (const name of programs) {
  test(`${name}: every check passes`, () => {
    assert.equal(m32.status, 0, "gcc -m32 does not work here: install gcc-multilib (npm run setup)");
    const b = make(name);
    assert.equal(b.status, 0, `make -C firmware/test ${name} failed:\n${b.stdout}\n${b.stderr}`);
    const r = spawnSync(path.join(OUT, name), [], { encoding: "utf8", timeout: 120000 });
    const lines = r.stdout.trim().split("\n");
    const last = lines[lines.length - 1] || "";
    const failures = lines.filter((l) => l.startsWith("FAIL"));
    assert.equal(failures.length, 0, failures.join("\n"));
    const m = /^(\d+) passed, (\d+) failed$/.exec(last);
    assert.ok(m, `no summary line (exit ${r.status}${r.signal ? ", " + r.signal : ""}):\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    assert.ok(Number(m[1]) > 0, "no check ran");
    assert.equal(m[2], "0", last);
    assert.equal(r.status, 0, `exit status ${r.status}`);
  });
}

test("the drivers cross-compile for the Cortex-M4 with -Wall -Wextra -Werror", (t) => {
  if (spawnSync("arm-none-eabi-gcc", ["--version"]).status !== 0) {
    t.skip("arm-none-eabi-gcc is not installed (npm run setup installs gcc-arm-none-eabi)");
    return;
  }
  const r = make("arm");
  assert.equal(r.status, 0, `make -C firmware/test arm failed:\n${r.stdout}\n${r.stderr}`);
  // the Ethernet descriptors and buffers are in their own section, for SRAM placement by the linker
  const objdump = spawnSync("arm-none-eabi-objdump", ["-h", path.join(OUT, "arm", "eth.o")], { encoding: "utf8" });
  if (objdump.status === 0) assert.match(objdump.stdout, /\.dma_buffers/);
});
