// Instruction profile of a TFTP upload into the simulated board (build/host-runtime/typeboot-sim,
// the same C runtime and bundles as the chip, 32-bit x86) under valgrind's callgrind: exact counts,
// repeatable, no hardware needed. Instrumentation is switched on once the board listens and off
// after curl's upload (the final ACK follows the valid mark), so the figure covers the upload only.
//
//   node scripts/profile-upload.mjs [--kib 512] [--blksize 1468] [--top 25] [--client curl|atftp]
//
// Prints instructions per payload byte, then the top functions by inclusive and by self cost.
// Needs valgrind (Debian package) and a built simulator (npm run build).
import { spawn, execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./setup.mjs";
import { freePort } from "./bench-qemu.mjs";

const run = promisify(execFile);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const KIB = Number(arg("kib", 512));
const BLKSIZE = Number(arg("blksize", 1468));
const TOP = Number(arg("top", 25));
const CLIENT = arg("client", "curl");
const BOARD = "stm324xg-eval";

const sim = path.join(ROOT, "build", "host-runtime", "typeboot-sim");
if (!fs.existsSync(sim)) throw new Error("no simulator: npm run build first");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-profile-"));
const child = { proc: null };
try {
  // A payload of random bytes (incompressible, every byte value), packed for the board.
  const bin = path.join(dir, "app.bin"), tbi = path.join(dir, "app.tbi");
  fs.writeFileSync(bin, crypto.randomBytes(KIB * 1024 - 512));
  await run(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), "pack", "--board", BOARD, "--version", "1.0.0", "--no-vector-check", bin, "-o", tbi]);
  const size = fs.statSync(tbi).size;
  const tftpPort = await freePort("udp"), httpPort = await freePort("tcp");
  const out = path.join(dir, "callgrind.out");
  const proc = spawn("valgrind", ["--tool=callgrind", "--instr-atstart=no", `--callgrind-out-file=${out}`, sim, "--board", BOARD, "--mode", "direct",
    "--flash", path.join(dir, "f.flash"), "--tftp-port", String(tftpPort), "--http-port", String(httpPort), "--user", "p", "--password", "p", "--no-reboot"],
  { stdio: ["ignore", "pipe", "pipe"] });
  child.proc = proc;
  let log = "";
  proc.stdout.on("data", (d) => (log += d));
  proc.stderr.on("data", (d) => (log += d));
  const waitFor = async (re, ms) => {
    const t0 = Date.now();
    while (!re.test(log)) {
      if (proc.exitCode !== null || Date.now() - t0 > ms) throw new Error(`profile-upload: no ${re} within ${ms} ms:\n${log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await waitFor(/TFTP on port/, 120000);
  await run("callgrind_control", ["-i", "on", String(proc.pid)]);
  const t0 = Date.now();
  if (CLIENT === "atftp") await run("atftp", ["--option", `blksize ${BLKSIZE}`, "--option", "windowsize 8", "-p", "-l", tbi, "-r", "app.tbi", "127.0.0.1", String(tftpPort)]);
  else await run("curl", ["-sS", "--max-time", "600", "--tftp-blksize", String(BLKSIZE), "-T", tbi, `tftp://127.0.0.1:${tftpPort}/app.tbi`]);
  const secs = (Date.now() - t0) / 1000;
  await run("callgrind_control", ["-d", "upload", String(proc.pid)]);
  await run("callgrind_control", ["-i", "off", String(proc.pid)]);
  const dump = fs.readdirSync(dir).filter((f) => f.startsWith("callgrind.out")).map((f) => path.join(dir, f)).find((f) => /upload|\.1$/.test(fs.readFileSync(f, "latin1").slice(0, 2000)));
  if (!dump) throw new Error("profile-upload: no callgrind dump");
  const annotate = async (inclusive) =>
    (await run("callgrind_annotate", [`--inclusive=${inclusive ? "yes" : "no"}`, "--threshold=100", dump], { maxBuffer: 64 << 20 })).stdout;
  const incl = await annotate(true), self = await annotate(false);
  const total = Number(/([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS/.exec(incl)?.[1].replace(/,/g, "") ?? /([\d,]+)\s+PROGRAM TOTALS/.exec(incl)[1].replace(/,/g, ""));
  const rows = (text) =>
    text.split("\n").filter((l) => /^\s*[\d,]+ \(/.test(l)).slice(1, TOP + 1)
      .map((l) => l.replace(/\s+\/[^:]*\/(build|firmware)\//, " $1/").replace(/\[[^\]]*\]/, "").trimEnd());
  console.log(`upload of ${size} bytes (${KIB} KiB payload incl. header) by ${CLIENT}, blksize ${BLKSIZE}: ${total} instructions (x86-32), ${(total / size).toFixed(1)} per byte, ${(total / Math.ceil(size / BLKSIZE)).toFixed(0)} per DATA packet; ${secs.toFixed(1)} s under callgrind`);
  console.log(`\ntop ${TOP} inclusive:`);
  for (const r of rows(incl)) console.log(r);
  console.log(`\ntop ${TOP} self:`);
  for (const r of rows(self)) console.log(r);
} finally {
  if (child.proc && child.proc.exitCode === null) child.proc.kill("SIGKILL");
  if (!process.argv.includes("--keep")) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`\nkept ${dir}`);
}
