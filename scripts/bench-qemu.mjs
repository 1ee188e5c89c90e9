// The qemu_* figures of `npm run bench` (scripts/bench.mjs): the real firmware on QEMU's mps2-an386
// with -icount shift=0, so instruction counts are exact and repeatable (TIMER0 ticks once per 40
// instructions; the firmware subtracts the time it sleeps in WFI, so waiting for the network is not
// counted). Alone: node scripts/bench-qemu.mjs
//   qemu_reset_to_app_instructions      reset -> first instruction of a confirmed 512 KiB application
//   qemu_instructions_per_payload_byte  TFTP upload of that image (curl --tftp-blksize 1468): busy
//                                       instructions from the upload's first flash operation (its first
//                                       DATA block) to the valid mark, divided by the image's bytes
//   qemu_heap_high_water, qemu_lwip_high_water, qemu_stack_high_water: the firmware's own report when
//                                       update mode ends (the reset after that upload)
import { spawn, execFile } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import dgram from "node:dgram";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ROOT } from "./setup.mjs";

const BOARD = "qemu-mps2-an386";
const require = createRequire(import.meta.url);
const run = promisify(execFile);

export function freePort(type) {
  return new Promise((resolve, reject) => {
    const s = type === "udp" ? dgram.createSocket("udp4") : net.createServer();
    s.on("error", reject);
    const done = () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    };
    if (type === "udp") s.bind(0, "127.0.0.1", done);
    else s.listen(0, "127.0.0.1", done);
  });
}

export async function qemuFigures() {
  const elf = path.join(ROOT, "build", BOARD, "typeboot.elf");
  const image = path.join(ROOT, "build", BOARD, "examples", "app-2.0.0-512k.tbi");
  if (!fs.existsSync(elf) || !fs.existsSync(image)) await (await import("./build.mjs")).firmware(BOARD);
  const { qemuCommand } = require(path.join(ROOT, "build", "host", "host", "commands", "qemu.js"));
  const tftpPort = await freePort("udp"), httpPort = await freePort("tcp");
  const cfg = path.join(ROOT, "build", BOARD, `bench-config-${process.pid}.bin`);
  const q = qemuCommand({ board: BOARD, tftpPort, httpPort, user: "bench", password: "bench", icount: true, configFile: cfg });
  const child = spawn(q.cmd, q.args, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "", mark = 0;
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const expect = (re, ms, what) =>
    new Promise((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        const m = re.exec(out.slice(mark));
        if (m) {
          mark += m.index + m[0].length;
          return resolve(m);
        }
        if (child.exitCode !== null || Date.now() - t0 > ms) return reject(new Error(`bench-qemu: no ${what} within ${ms} ms:\n${out.slice(-2000)}`));
        setTimeout(tick, 50);
      };
      tick();
    });
  try {
    await expect(/update mode: TFTP on port 69/, 60000, "update mode");
    await expect(/net: DHCP address/, 30000, "DHCP lease");
    await run("curl", ["-sS", "--max-time", "300", "--tftp-blksize", "1468", "-T", image, `tftp://127.0.0.1:${tftpPort}/app.tbi`]);
    const up = await expect(/upload programmed (\d+) bytes, (\d+) busy instructions from its first flash operation to the valid mark/, 60000, "the upload figure");
    const hw = await expect(/reset; high-water: JS heap (\d+) of (\d+) bytes, lwIP heap (\d+) of (\d+) \+ pools (\d+) of (\d+) bytes \((\d+) frame pbufs\), C stack (\d+) of (\d+) bytes/, 60000, "the high-water report");
    await expect(/APP 2\.0\.0 running/, 60000, "the application");
    // A plain reset into the confirmed application: the steady-state boot.
    child.stdin.write("r");
    await expect(/boot: run \(application 2\.0\.0 is confirmed[^)\n]*\)/, 60000, "the boot decision");
    const ticks = await expect(/APP reset-to-app (\d+) timer ticks/, 60000, "the application's reset-to-app count");
    const size = fs.statSync(image).size;
    const [, , busy] = up.map(Number);
    const [, heap, heapSize, lwHeap, lwHeapSize, pools, poolsSize, pbufs, stack, stackSize] = hw.map(Number);
    const plan = "the F407 plan (boards/qemu-mps2-an386.json = stm324xg-eval's memory: 128 KB SRAM + 64 KB CCM)";
    return [
      { name: "qemu_reset_to_app_instructions", value: Number(ticks[1]) * 40, unit: "instr", goal: "< 2000000", against: "QEMU mps2-an386 -icount shift=0: reset (AIRCR) to the first instruction of a confirmed 512 KiB application (boot bundle from bytecode, header + full payload CRC check), TIMER0 ticks x 40" },
      { name: "qemu_instructions_per_payload_byte", value: +(busy / size).toFixed(1), unit: "instr/B", goal: "< 30", against: `QEMU -icount shift=0: busy instructions (WFI time excluded) from the upload's first flash operation to the valid mark, curl --tftp-blksize 1468, ${size}-byte image: ${busy} instructions` },
      { name: "qemu_heap_high_water", value: heap, unit: "bytes", goal: `<= ${heapSize} (${plan}: SRAM left after .data/.bss/stack + 64 KB CCM)`, against: "JS arena high-water (garbage included) of the boot phase and update mode through a 512 KiB TFTP upload" },
      { name: "qemu_lwip_high_water", value: lwHeap + pools, unit: "bytes", goal: `<= ${lwHeapSize + poolsSize} (lwIP's static heap + pools)`, against: `lwIP heap high-water ${lwHeap} of ${lwHeapSize} + sum of the pools' high-water marks ${pools} of ${poolsSize} (${pbufs} frame pbufs at once), same run` },
      { name: "qemu_stack_high_water", value: stack, unit: "bytes", goal: `<= ${stackSize} (stackKiB)`, against: "C stack high-water (painted stack) from reset through update mode (update.js compiled from source) and the upload" },
    ];
  } finally {
    child.kill("SIGKILL");
    if (process.env.BENCH_QEMU_LOG) fs.writeFileSync(process.env.BENCH_QEMU_LOG, out); // the console, for profiling
    fs.rmSync(cfg, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await qemuFigures();
  for (const x of r) console.log(`${x.name.padEnd(36)} ${String(x.value).padStart(10)} ${x.unit.padEnd(8)} ${x.goal}`);
}
