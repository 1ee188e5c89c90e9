// Running the STM32 build on QEMU's netduinoplus2 (test/qemu-stm32.test.mjs, scripts/bench.mjs).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BOARD = "stm324xg-eval";
const MARK_VALID = 0x44494c56, MARK_CONFIRMED = 0x4d464e43;

/** Run QEMU until `until(output)` holds (then type `input`, if any, and wait for `after`) or the
 * time runs out; always killed. Resolves { out, code }. */
export function runQemu(elf, tbi, { until, input, after, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const q = spawn("qemu-system-arm", [
      "-M", "netduinoplus2", "-nographic", "-monitor", "none", "-no-reboot", "-icount", "shift=0,sleep=off",
      "-serial", "null", "-serial", "null", "-serial", "stdio",
      "-kernel", elf, "-device", `loader,file=${tbi},addr=0x08040000`,
    ], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", typed = false, done = false;
    const finish = (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (q.exitCode === null) q.kill("SIGKILL");
      resolve({ out, code });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    const look = () => {
      if (!typed && until && until(out)) {
        if (!input) return finish("matched");
        typed = true;
        q.stdin.write(input);
      }
      if (typed && after && after(out)) finish("matched");
      // no `after`: wait for QEMU to exit by itself (a reset with -no-reboot)
    };
    q.stdout.on("data", (d) => { out += d.toString("latin1"); look(); });
    q.stderr.on("data", (d) => { out += d.toString("latin1"); });
    q.on("exit", (c) => finish(c));
  });
}

/** The packed example with the status words the bootloader programs after a good upload. */
export function markedImage(src, dir, corrupt = false) {
  const b = fs.readFileSync(src);
  b.writeUInt32LE(MARK_VALID, 0x1c0);
  b.writeUInt32LE(MARK_CONFIRMED, 0x1c4);
  if (corrupt) b[0x200 + 0x300] ^= 0x01;
  const f = path.join(dir, corrupt ? "bad.tbi" : "app.tbi");
  fs.writeFileSync(f, b);
  return f;
}

let built;
export async function ensureBuilt() {
  if (!built) {
    const { firmware } = await import("../scripts/build.mjs");
    built = firmware(BOARD);
  }
  await built;
  return {
    elf: path.join(ROOT, "build", BOARD, "typeboot.elf"),
    tbi: path.join(ROOT, "build", BOARD, "app", "blinky.tbi"),
  };
}

/** Instructions from reset to the example application's first instructions (TIM2 under
 * -icount shift=0,sleep=off: deterministic). */
export async function resetToAppInstructions() {
  const { elf, tbi } = await ensureBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-qemu-"));
  try {
    const r = await runQemu(elf, markedImage(tbi, dir), { until: (o) => /timer counts/.test(o) });
    const m = /reset to application: (\d+) timer counts/.exec(r.out);
    if (!m) throw new Error(`no count from the application:\n${r.out}`);
    return Number(m[1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
