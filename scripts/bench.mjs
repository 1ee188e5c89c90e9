// npm run bench: update throughput and time, measured side by side in one run, written to
// bench/results.json (one object per figure: name, value, unit, goal, against) and printed as a table.
//
//   tftp_sim_vs_tftpd_hpa       1 MiB image, curl --tftp-blksize 1468, simulated board (no flash timing)
//                               against tftpd-hpa receiving the same file on 127.0.0.1 (ratio of throughputs)
//   http_upload_throughput      the same image by HTTP (curl -T /api/firmware)
//   update_vs_flash_floor_256k  with datasheet flash timing: upload time of a 256 KiB image over the
//   update_vs_flash_floor_896k  flash floor (erase of the sectors it spans + word programming of its bytes)
//   tftp_client_*               our TFTP client (host/tftp-client.ts, what `typeboot upload` uses: blksize 1468,
//                               windowsize 4) against curl --tftp-blksize 1468 and atftp (blksize 1468,
//                               windowsize 8), the same 1 MiB image into the same simulated board, interleaved
//   heap_high_water             live JS heap high-water of the native runtime in update mode over those uploads
//   bundle_*                    bundle sizes (minified ES5, and bytecode)
//
// Runs interleave the two sides and take the median of several. Options: --runs N (default 5).
import { spawn, execFile } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import dgram from "node:dgram";
import { promisify } from "node:util";
import { ROOT, ensureApt } from "./setup.mjs";
import { build, BUDGETS } from "./build.mjs";

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg("runs", 5));
const BOARD = "nucleo-f429zi"; // direct mode: a 1.75 MiB application slot across both banks

function freePort(type) {
  return new Promise((resolve, reject) => {
    const s = type === "udp" ? dgram.createSocket("udp4") : net.createServer();
    const done = () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    };
    s.on("error", reject);
    if (type === "udp") s.bind(0, "127.0.0.1", done);
    else s.listen(0, "127.0.0.1", done);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  await run(cmd, args, { timeout: 120000, maxBuffer: 1 << 20 });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function waitFor(fn, what, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A simulated board in its own process (the Node runtime of host/sim.ts). */
async function startSim(opts) {
  const [tftpPort, httpPort] = [await freePort("udp"), await freePort("tcp")];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-bench-"));
  const args = [path.join(ROOT, "bin", "typeboot.js"), "sim", "--board", BOARD, "--mode", "direct", "--flash", path.join(dir, "f.flash"),
    "--tftp-port", String(tftpPort), "--http-port", String(httpPort), "--user", "bench", "--password", "bench", "--no-reboot", ...(opts.timing ? ["--timing"] : [])];
  // heapLog: the native runtime collects garbage every 50 ms, so its live-bytes high-water is exact
  // (that costs time: the throughput runs go without it).
  const env = { ...process.env, ...(opts.heapLog ? { TYPEBOOT_HEAP_LOG: "50" } : {}) };
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  await waitFor(async () => out.includes("Stop with Ctrl-C"), "the simulated board");
  return { tftpPort, httpPort, stop: () => child.kill("SIGKILL"), status: async () => (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).json() };
}

async function startTftpd() {
  const port = await freePort("udp");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-tftpd-"));
  fs.chmodSync(dir, 0o777);
  const child = spawn("/usr/sbin/in.tftpd", ["--foreground", "--listen", "--address", `127.0.0.1:${port}`, "--create", "--secure", "--user", "root", dir], { stdio: "ignore" });
  await sleep(300);
  return { port, dir, stop: () => child.kill("SIGKILL") };
}

function floorSeconds(layout, bytes) {
  const start = layout.info.app.addr;
  let eraseMs = 0;
  for (const s of layout.sectors) if (s.addr < start + bytes && s.addr + s.size > start) eraseMs += layout.timing.eraseMs[String(s.size / 1024)];
  return eraseMs / 1000 + (Math.ceil(bytes / 4) * layout.timing.wordProgramUs) / 1e6;
}

async function main() {
  ensureApt(["curl", "tftpd-hpa", "atftp"]);
  await build({ boards: ["stm324xg-eval", "qemu-mps2-an386"] }); // the chip figures come from this tree too
  const require = createRequire(import.meta.url);
  const { packImage } = require(path.join(ROOT, "build", "host", "host", "image.js"));
  const { loadBoard } = require(path.join(ROOT, "build", "host", "host", "layout.js"));
  const { tftpPut } = require(path.join(ROOT, "build", "host", "host", "tftp-client.js"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-bench-img-"));
  const image = (kib, seed) => {
    const payload = new Uint8Array(kib * 1024);
    let x = seed;
    for (let i = 0; i < payload.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      payload[i] = x >>> 24;
    }
    const f = path.join(dir, `app-${kib}k.tbi`);
    fs.writeFileSync(f, packImage({ board: BOARD, mode: "direct", version: "1.0.0", payload }));
    return f;
  };
  const mib = image(1024, 1);
  const size = fs.statSync(mib).size;
  const results = [];

  // 1. TFTP: simulated board against tftpd-hpa, same client, interleaved.
  const sim = await startSim({ timing: false });
  const tftpd = await startTftpd();
  const simT = [], hpaT = [], httpT = [];
  let heap = null;
  try {
    for (let i = 0; i < RUNS; i++) {
      fs.rmSync(path.join(tftpd.dir, "app.tbi"), { force: true });
      hpaT.push(await timed("curl", ["-sS", "--tftp-blksize", "1468", "-T", mib, `tftp://127.0.0.1:${tftpd.port}/app.tbi`]));
      simT.push(await timed("curl", ["-sS", "--tftp-blksize", "1468", "-T", mib, `tftp://127.0.0.1:${sim.tftpPort}/app.tbi`]));
      httpT.push(await timed("curl", ["-sS", "-f", "-u", "bench:bench", "-T", mib, `http://127.0.0.1:${sim.httpPort}/api/firmware`]));
    }
    if (fs.statSync(path.join(tftpd.dir, "app.tbi")).size !== size) throw new Error("tftpd-hpa did not receive the whole file");
  } finally {
    sim.stop();
    tftpd.stop();
  }
  // TFTP clients: ours (in this process: the transfer only, no Node start-up), curl and atftp (processes),
  // the same image into the same board, interleaved and in a rotating order; every upload is checked.
  const clientSim = await startSim({ timing: false });
  const clientT = { typeboot: [], curl: [], atftp: [] };
  const mibData = new Uint8Array(fs.readFileSync(mib));
  const clients = {
    typeboot: async () => {
      const t0 = process.hrtime.bigint();
      await tftpPut({ host: "127.0.0.1", port: clientSim.tftpPort, name: "app.tbi", data: mibData });
      return Number(process.hrtime.bigint() - t0) / 1e9;
    },
    curl: () => timed("curl", ["-sS", "--tftp-blksize", "1468", "-T", mib, `tftp://127.0.0.1:${clientSim.tftpPort}/app.tbi`]),
    atftp: () => timed("atftp", ["--option", "blksize 1468", "--option", "windowsize 8", "-p", "-l", mib, "-r", "app.tbi", "127.0.0.1", String(clientSim.tftpPort)]),
  };
  try {
    const names = Object.keys(clients);
    for (let i = 0; i < 3 * RUNS; i++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(i + k) % names.length];
        clientT[name].push(await clients[name]());
        const st = await clientSim.status();
        if (st.lastError || st.transfer || !st.lastUpdate || st.lastUpdate.bytes !== size) throw new Error(`${name}: the board did not take the upload: ${JSON.stringify(st.lastError ?? st.lastUpdate)}`);
      }
    }
  } finally {
    clientSim.stop();
  }

  // Heap: the same uploads into a board that collects garbage often.
  const heapSim = await startSim({ timing: false, heapLog: true });
  try {
    for (let i = 0; i < RUNS; i++) {
      await timed("curl", ["-sS", "--tftp-blksize", "1468", "-T", mib, `tftp://127.0.0.1:${heapSim.tftpPort}/app.tbi`]);
      await timed("curl", ["-sS", "-f", "-u", "bench:bench", "-T", mib, `http://127.0.0.1:${heapSim.httpPort}/api/firmware`]);
    }
    await sleep(200);
    heap = (await heapSim.status()).heap;
  } finally {
    heapSim.stop();
  }
  const mbps = (t) => size / t / 1e6;
  results.push({ name: "tftp_sim_throughput", value: +mbps(median(simT)).toFixed(2), unit: "MB/s", goal: null, against: "1 MiB image, curl --tftp-blksize 1468, simulated nucleo-f429zi (direct), no flash timing" });
  results.push({ name: "tftp_tftpd_hpa_throughput", value: +mbps(median(hpaT)).toFixed(2), unit: "MB/s", goal: null, against: "the same file and client against tftpd-hpa 5.2 on 127.0.0.1" });
  results.push({ name: "tftp_sim_vs_tftpd_hpa", value: +(median(hpaT) / median(simT)).toFixed(3), unit: "ratio", goal: ">= 1.0 (higher is better)", against: "tftpd-hpa receiving the same file on 127.0.0.1, same client, same run" });
  results.push({ name: "http_upload_throughput", value: +mbps(median(httpT)).toFixed(2), unit: "MB/s", goal: null, against: "1 MiB image, curl -T /api/firmware, simulated board, no flash timing" });

  const cm = (n) => +mbps(median(clientT[n])).toFixed(2);
  const clientRuns = `${3 * RUNS} interleaved runs, median`;
  results.push({ name: "tftp_client_typeboot", value: cm("typeboot"), unit: "MB/s", goal: null, against: `1 MiB image, our TFTP client (host/tftp-client.ts, blksize 1468, windowsize 4; in-process, no Node start-up) into the simulated nucleo-f429zi (direct), ${clientRuns}` });
  results.push({ name: "tftp_client_curl", value: cm("curl"), unit: "MB/s", goal: null, against: `the same image and board, curl --tftp-blksize 1468 (process start included), ${clientRuns}` });
  results.push({ name: "tftp_client_atftp", value: cm("atftp"), unit: "MB/s", goal: null, against: `the same image and board, atftp 0.8 --option "blksize 1468" --option "windowsize 8" (process start included), ${clientRuns}` });
  results.push({ name: "tftp_client_typeboot_vs_curl", value: +(median(clientT.curl) / median(clientT.typeboot)).toFixed(3), unit: "ratio", goal: ">= 1.0 (higher is better)", against: "curl uploading the same image to the same board in the same run (ratio of throughputs)" });
  if (heap) {
    results.push({ name: "heap_high_water", value: heap.livePeak, unit: "bytes", goal: `< ${heap.size} (the arena)`, against: `live JS heap high-water (after collections) in update mode over ${2 * RUNS} uploads of 1 MiB (TFTP and HTTP); raw peak ${heap.peak} of ${heap.size} with garbage` });
  }
  const sizes = JSON.parse(fs.readFileSync(path.join(ROOT, "build", "sizes.json"), "utf8"));
  for (const [f, n] of Object.entries({ ...sizes.bundles, ...sizes.bytecode })) {
    results.push({ name: `bundle_${f.replace(".", "_")}`, value: n, unit: "bytes", goal: BUDGETS[f] ? `<= ${BUDGETS[f]}` : null, against: f.endsWith(".tbbc") ? "Duktape bytecode (TBBC) made by the runtime's own configuration" : "minified ES5" });
  }

  // 2. With datasheet flash timing: upload time against the flash floor.
  const layout = loadBoard(BOARD, "direct");
  const timedSim = await startSim({ timing: true });
  try {
    for (const kib of [256, 896]) {
      const f = image(kib, kib);
      const bytes = fs.statSync(f).size;
      const t = await timed("curl", ["-sS", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${timedSim.tftpPort}/app.tbi`]);
      const floor = floorSeconds(layout, bytes);
      results.push({ name: `update_vs_flash_floor_${kib}k`, value: +(t / floor).toFixed(3), unit: "ratio", goal: "<= 1.10 (lower is better)", against: `flash floor ${floor.toFixed(2)} s (erase of the sectors spanned + 16 us per word); measured ${t.toFixed(2)} s by TFTP` });
    }
  } finally {
    timedSim.stop();
  }

  // 3. The STM324xG-EVAL build on QEMU's netduinoplus2: instructions from reset to the example application.
  try {
    const { resetToAppInstructions } = await import("../test/qemu-stm32-run.mjs");
    results.push({ name: "stm32_qemu_reset_to_app_instructions", value: await resetToAppInstructions(), unit: "instructions", goal: null, against: "stm324xg-eval build on qemu-system-arm -M netduinoplus2 -icount shift=0,sleep=off (TIM2 counts one per instruction): reset to the example application's first instructions, through the clock timeouts (QEMU has no RCC), the boot bytecode and the CRC of the image (table CRC: QEMU has no CRC unit)" });
  } catch (e) {
    console.error(`bench: the STM32 QEMU run failed: ${e.message}`);
  }
  // The real firmware on QEMU mps2-an386, by instruction count (scripts/bench-qemu.mjs).
  results.push(...(await (await import("./bench-qemu.mjs")).qemuFigures()));

  fs.mkdirSync(path.join(ROOT, "bench"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "bench", "results.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(`\nruntime: native (build/host-runtime/typeboot-sim); ${RUNS} runs each, median\n`);
  console.log(`${"figure".padEnd(28)} ${"value".padStart(9)} unit    goal`);
  for (const r of results) console.log(`${r.name.padEnd(28)} ${String(r.value).padStart(9)} ${r.unit.padEnd(7)} ${r.goal ?? ""}`);
  console.log("\nwritten to bench/results.json");
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  process.exit(1);
});
