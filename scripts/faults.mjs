// npm run faults: the power-cut campaign on the native simulated board (build/host-runtime/typeboot-sim:
// the real C runtime and the real bundles), one fresh process per flash state, so no RAM survives a
// simulated reset.
//
// For each scenario (a full update in direct mode, a staged update on each board's layout, a
// rollback), the update runs once uncut to count its flash operations N; then for every i in 1..N it
// is cut at the i-th operation (before it, after it, torn in the middle: a torn word, a half-erased
// sector with seeded random contents), and again with a second torn cut during the recovery boot.
// Then a seeded random campaign. After each case:
//   - the bootloader region is untouched;
//   - the board runs the old or the new image, byte-identical to what was sent, or waits in update
//     mode with the old image restorable (staged: in one of the two slots; direct mode overwrites it
//     by design, the user uploads again);
//   - a later upload succeeds (a fresh process in update mode, a new image, the board runs it).
//
//   node scripts/faults.mjs [--seed S] [--cases K] [--jobs J] [--quick] [--no-sweep] [--only I] [--verbose]
//     --seed S --cases K   the random campaign (default: a new seed, 10000 cases); the seed is printed
//     --no-sweep           random campaign only (a replay: --no-sweep --seed S --cases K)
//     --quick              the reduced form run by npm test: every scenario swept with a stride, 60 random cases
//     --only I             replay random case I of the seed alone and print its consoles
//     --report FILE        where the report goes (default faults/report.json)
//     --scenario NAME      only this scenario (direct, staged-f407, staged-f429, rollback); --at I: only operation I
// Writes faults/report.json: { cases, failures, seed, modes: { scenario: { ops, cases, failures, ... } }, ... }.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { collectLines } from "./console-lines.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUILT_SIM = path.join(ROOT, "build", "host-runtime", "typeboot-sim");
/** The simulator and its bundles, copied into the work directory: a rebuild meanwhile changes nothing. */
let SIM = BUILT_SIM;
const req = (rel) => import(path.join(ROOT, "build", "host", rel));

function parseArgs(argv) {
  const o = { jobs: 2, cases: 10000, seed: null, quick: false, sweep: true, only: null, verbose: false, scenario: null, at: null, report: path.join(ROOT, "faults", "report.json") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined || !/^\d+$/.test(x)) throw new Error(`${a} needs a whole number`);
      return Number(x);
    };
    if (a === "--seed") o.seed = v() >>> 0;
    else if (a === "--cases") o.cases = v();
    else if (a === "--jobs") o.jobs = Math.max(1, v());
    else if (a === "--only") o.only = v();
    else if (a === "--at") o.at = v();
    else if (a === "--scenario") o.scenario = argv[++i];
    else if (a === "--report") o.report = path.resolve(argv[++i] || "");
    else if (a === "--quick") o.quick = true;
    else if (a === "--no-sweep") o.sweep = false;
    else if (a === "--verbose") o.verbose = true;
    else throw new Error(`unknown option ${a} (see the comment at the top of scripts/faults.mjs)`);
  }
  if (o.seed === null) o.seed = (Date.now() ^ (process.pid << 16)) >>> 0;
  if (o.quick && !argv.includes("--cases")) o.cases = 60;
  return o;
}

/** xorshift32, the campaign's only randomness (the simulator's torn contents come from --cut-seed). */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

function noise(size, seed) {
  const r = rng(seed);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = r() & 255;
  return b;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The simulated board as a child process.

// Below Linux's ephemeral range (32768-60999), where client sockets would collide with our servers.
let portBase = 10000 + ((process.pid * 2) % 20000);
/** Ports for one process: a fresh pair each time (no TIME_WAIT collisions between cases). */
function ports() {
  portBase += 2;
  if (portBase > 31998) portBase = 10000;
  return { tftp: portBase, http: portBase + 1 };
}

function startSim(sc, dir, extra) {
  const p = ports();
  const args = ["--board", sc.board, "--mode", sc.mode, "--flash", path.join(dir, "flash"), "--state", path.join(dir, "state"),
    "--tftp-port", String(p.tftp), "--http-port", String(p.http), "--user", "u", "--password", "p", "--until-app", "--reboot-delay", "20", ...extra];
  const child = spawn(SIM, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.on("error", (e) => sim.lines.push(`spawn: ${e.message}`));
  const sim = { child, port: p.http, lines: [], exit: null, started: Date.now(), waiters: new Set() };
  collectLines(child, sim.lines, () => {
    for (const w of sim.waiters) w();
  });
  sim.exited = new Promise((resolve) =>
    child.on("close", (code, signal) => {
      sim.exit = { code, signal, ms: Date.now() - sim.started };
      for (const w of sim.waiters) w();
      resolve(sim.exit);
    }),
  );
  /** Resolves to "update" (update mode is listening), "exit", or "timeout". */
  sim.settle = (ms) =>
    new Promise((resolve) => {
      const check = () => {
        if (sim.lines.some((l) => l.startsWith("update mode: TFTP on port"))) return done("update");
        if (sim.exit) return done("exit");
      };
      const done = (what) => {
        clearTimeout(t);
        sim.waiters.delete(check);
        sim.settledMs = Date.now() - sim.started;
        resolve(what);
      };
      const t = setTimeout(() => done("timeout"), ms);
      sim.waiters.add(check);
      check();
    });
  sim.kill = async () => {
    if (!sim.exit) child.kill("SIGKILL");
    await sim.exited;
  };
  return sim;
}

/** PUT the image; resolves to { status } or { error } (the board may die under it). */
function httpPut(port, img) {
  return new Promise((resolve) => {
    const r = http.request(
      { host: "127.0.0.1", port, method: "PUT", path: "/api/firmware", agent: false, timeout: 20000,
        headers: { authorization: "Basic " + Buffer.from("u:p").toString("base64"), "content-length": img.length } },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, body }));
        res.on("error", (e) => resolve({ error: e.message }));
      },
    );
    r.on("error", (e) => resolve({ error: e.message }));
    r.on("timeout", () => r.destroy(new Error("timeout")));
    r.end(Buffer.from(img));
  });
}

/** "SIM EXIT flash-ops N erases E bytes B flash-ms T": what the flash did in this process. */
const exitReport = (sim) => {
  const l = sim.lines.find((x) => x.startsWith("SIM EXIT flash-ops "));
  const m = l && /flash-ops (\d+) erases (\d+) bytes (\d+) flash-ms (\d+)/.exec(l);
  return m ? { ops: +m[1], erases: +m[2], bytes: +m[3], flashMs: +m[4] } : null;
};
const exitOps = (sim) => (exitReport(sim) || { ops: null }).ops;
const running = (sim) => {
  const l = [...sim.lines].reverse().find((x) => /^APP \S+ running$/.test(x));
  return l ? l.split(" ")[1] : null;
};

/** Run the board until it settles: an application that confirmed itself ended the process (exit 0),
 * a power cut ended it (exit 3), or update mode listens (optionally receiving `upload` first). */
async function runBoard(sc, dir, cut, upload, ms = 30000) {
  const extra = [...(sc.noConfirm ? ["--no-confirm"] : [])];
  if (cut) extra.push("--cut-at", String(cut.at), "--cut-mode", cut.mode, "--cut-seed", String(cut.seed));
  const sim = startSim(sc, dir, extra);
  let what = await sim.settle(ms);
  let put = null;
  if (what === "update" && upload) {
    put = await Promise.race([httpPut(sim.port, upload), sim.exited.then(() => ({ error: "the board went down" }))]);
    const end = await Promise.race([sim.exited, sleep(ms).then(() => null)]);
    what = end ? "exit" : "timeout";
  }
  if (what !== "exit") await sim.kill().catch(() => {});
  return { sim, what, put };
}

// ---------------------------------------------------------------------------------------------
// Scenarios: initial flash states made by the simulator itself.

const V1 = "1.0.0", V2 = "2.0.0", V3 = "3.0.0";

async function makeScenarios(work, packImage, only) {
  const defs = [
    { name: "direct", board: "stm324xg-eval", mode: "direct", upload: true, size: 150 * 1024 },
    { name: "staged-f407", board: "stm324xg-eval", mode: "staged", upload: true, size: 150 * 1024 },
    { name: "staged-f429", board: "nucleo-f429zi", mode: "staged", upload: true, size: 150 * 1024 },
    { name: "rollback", board: "nucleo-f429zi", mode: "staged", upload: false, noConfirm: true, size: 150 * 1024 },
  ];
  const out = [];
  for (const d of defs.filter((x) => !only || x.name === only)) {
    const mk = (version, size, seed) => packImage({ board: d.board, version, payload: fakeApp(size, seed) });
    const sc = { ...d, images: { [V1]: mk(V1, d.size - 20000, 11), [V2]: mk(V2, d.size, 22), [V3]: mk(V3, 20000, 33) } };
    const dir = path.join(work, "init-" + d.name);
    fs.mkdirSync(dir, { recursive: true });
    // An empty board gets V1 (and confirms it): the application every update starts from.
    let r = await runBoard({ ...sc, noConfirm: false }, dir, null, sc.images[V1]);
    if (r.sim.exit?.code !== 0 || running(r.sim) !== V1) throw new Error(`${d.name}: preparing ${V1} failed:\n${r.sim.lines.join("\n")}`);
    if (d.upload) setRequest(dir);
    else {
      // Rollback: V2 staged (received, not installed), the board left in update mode.
      setRequest(dir);
      const s = startSim(sc, dir, ["--no-reboot"]);
      if ((await s.settle(15000)) !== "update") throw new Error(`${d.name}: no update mode`);
      const p = await httpPut(s.port, sc.images[V2]);
      await s.kill();
      if (p.status !== 200) throw new Error(`${d.name}: staging ${V2} failed: ${JSON.stringify(p)}`);
    }
    sc.init = dir;
    sc.initFlash = fs.readFileSync(path.join(dir, "flash"));
    // N: the flash operations of the whole update, uncut.
    const c = caseDir(work);
    for (const f of ["flash", "state"]) fs.copyFileSync(path.join(dir, f), path.join(c, f));
    r = await runBoard(sc, c, null, d.upload ? sc.images[V2] : null);
    sc.ops = exitOps(r.sim);
    const want = d.name === "rollback" ? V1 : V2;
    if (r.sim.exit?.code !== 0 || running(r.sim) !== want || !sc.ops) throw new Error(`${d.name}: the uncut update did not end with ${want} running:\n${r.sim.lines.join("\n")}`);
    sc.uncutLog = r.sim.lines.filter((l) => /^boot: /.test(l));
    fs.rmSync(c, { recursive: true, force: true });
    out.push(sc);
  }
  return out;
}

function fakeApp(size, seed) {
  const b = noise(size, seed);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x20020000, true);
  dv.setUint32(4, 0x08040200 + 0x1c1, true);
  return b;
}

/** The boot-request word in the state file: the next boot goes to update mode. */
function setRequest(dir) {
  fs.writeFileSync(path.join(dir, "state"), JSON.stringify({ request: 0x55504454, boots: 0 }) + "\n");
}

let caseNo = 0;
function caseDir(work) {
  const d = path.join(work, "case-" + process.pid + "-" + caseNo++);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

// ---------------------------------------------------------------------------------------------
// One case.

function makeChecker(mods) {
  const { createHostPlatform } = mods.platform;
  const { readSlot } = mods.slots;
  const { crc32 } = mods.platform;
  return function check(sc, flash) {
    const p = createHostPlatform({ board: sc.board, mode: sc.mode, flashBytes: new Uint8Array(flash), log: () => {} });
    const info = p.layout.info;
    const view = (r) => readSlot(p.flash, crc32, r, true);
    const holds = (r, version) => {
      const img = sc.images[version];
      const at = r.addr - 0x08000000;
      return Buffer.compare(flash.subarray(at, at + 0x100), Buffer.from(img.subarray(0, 0x100))) === 0 &&
        Buffer.compare(flash.subarray(at + 0x200, at + img.length), Buffer.from(img.subarray(0x200))) === 0;
    };
    return { info, app: view(info.app), staging: info.staging ? view(info.staging) : null, holds };
  };
}

async function runCase(sc, k, check, work) {
  const dir = caseDir(work);
  const res = { scenario: sc.name, cut: k.cut, cut2: k.cut2 || null, ok: true, problems: [] };
  const bad = (m) => {
    res.ok = false;
    res.problems.push(m);
  };
  const consoles = [];
  try {
    fs.copyFileSync(path.join(sc.init, "flash"), path.join(dir, "flash"));
    fs.copyFileSync(path.join(sc.init, "state"), path.join(dir, "state"));
    // 1. The update, cut at operation i.
    const a = await runBoard(sc, dir, k.cut, sc.upload ? sc.images[V2] : null);
    consoles.push(a.sim.lines);
    res.cutHappened = a.sim.exit?.code === 3;
    if (a.what === "timeout") bad("the cut run neither ended nor settled");
    // 2. The recovery boot(s), in fresh processes: maybe cut again (double fault), then uncut.
    let b = null;
    if (k.cut2 && res.cutHappened) {
      b = await runBoard(sc, dir, k.cut2, null);
      consoles.push(b.sim.lines);
      res.cut2Happened = b.sim.exit?.code === 3;
    }
    if (!b || res.cut2Happened) {
      b = await runBoard(sc, dir, null, null);
      consoles.push(b.sim.lines);
    }
    res.recoveryMs = b.sim.settledMs;
    const rep = exitReport(b.sim);
    res.recoveryOps = rep ? rep.ops : 0;
    res.recoveryFlashMs = rep ? rep.flashMs : 0;
    const flash = fs.readFileSync(path.join(dir, "flash"));
    if (Buffer.compare(flash.subarray(0, 0x40000), sc.initFlash.subarray(0, 0x40000)) !== 0) bad("the bootloader region changed");
    const s = check(sc, flash);
    const old = V1, neu = sc.name === "rollback" ? null : V2;
    if (b.what === "exit" && b.sim.exit.code === 0) {
      const v = running(b.sim);
      res.outcome = "runs " + v;
      if (v !== old && v !== neu) bad(`runs ${v}, neither the old nor the new image`);
      else if (!s.app.valid || !s.app.confirmed || s.app.version !== v) bad(`runs ${v} but the application slot is ${JSON.stringify({ v: s.app.version, valid: s.app.valid, problem: s.app.problem })}`);
      else if (!s.holds(s.info.app, v)) bad(`runs ${v} but its bytes differ from the image sent`);
    } else if (b.what === "update") {
      res.outcome = "update mode";
      if (sc.mode === "staged") {
        const restorable = (x) => x && x.valid && x.version === old && x.confirmed;
        if (!(restorable(s.app) && s.holds(s.info.app, old)) && !(restorable(s.staging) && s.holds(s.info.staging, old))) bad("update mode without the old image restorable");
      }
    } else bad(`the recovery ${b.what === "timeout" ? "hung" : `exited with ${JSON.stringify(b.sim.exit)}`}`);
    // 3. A later upload succeeds.
    setRequest(dir);
    const c = await runBoard({ ...sc, noConfirm: false }, dir, null, sc.images[V3]);
    consoles.push(c.sim.lines);
    const f2 = fs.readFileSync(path.join(dir, "flash"));
    const s2 = check(sc, f2);
    if (!(c.sim.exit?.code === 0 && running(c.sim) === V3 && s2.holds(s2.info.app, V3))) bad(`the later upload did not end with ${V3} running: ${JSON.stringify(c.put)}`);
  } catch (e) {
    bad("driver error: " + e.stack);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!res.ok) res.consoles = consoles.map((l) => l.slice(-40));
  return res;
}

// ---------------------------------------------------------------------------------------------

async function pool(jobs, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(jobs, n) }, worker));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(BUILT_SIM) || !fs.existsSync(path.join(ROOT, "build", "host", "host", "image.js"))) {
    const b = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, stdio: "inherit" });
    if (b.status !== 0) throw new Error("npm run build failed");
  }
  const mods = {
    image: (await req("host/image.js")).default,
    platform: (await req("host/platform.js")).default,
    slots: (await req("src/boot/slots.js")).default,
  };
  const check = makeChecker(mods);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tb-faults-"));
  fs.mkdirSync(path.join(work, "rt", "host-runtime"), { recursive: true });
  fs.cpSync(path.join(ROOT, "build", "bundle"), path.join(work, "rt", "bundle"), { recursive: true });
  SIM = path.join(work, "rt", "host-runtime", "typeboot-sim");
  fs.copyFileSync(BUILT_SIM, SIM);
  fs.chmodSync(SIM, 0o755);
  const started = Date.now();
  const stats = {};
  const failures = [];
  let cases = 0;
  let slowest = { ms: 0 };
  let heaviest = { flashMs: -1 };
  let lastPrint = 0;
  const record = (r, bucket) => {
    cases++;
    const m = (stats[bucket] = stats[bucket] || { cases: 0, failures: 0, cutsHappened: 0, doubleFaults: 0, outcomes: {}, slowestRecoveryMs: 0 });
    m.cases++;
    if (r.cutHappened) m.cutsHappened++;
    if (r.cut2Happened) m.doubleFaults++;
    m.outcomes[r.outcome || "?"] = (m.outcomes[r.outcome || "?"] || 0) + 1;
    if (r.recoveryMs > m.slowestRecoveryMs) m.slowestRecoveryMs = r.recoveryMs;
    if (r.recoveryMs > slowest.ms) slowest = { ms: r.recoveryMs, ops: r.recoveryOps, flashMs: r.recoveryFlashMs, scenario: r.scenario, cut: r.cut, cut2: r.cut2 };
    if (r.recoveryFlashMs > heaviest.flashMs) heaviest = { flashMs: r.recoveryFlashMs, ops: r.recoveryOps, scenario: r.scenario, cut: r.cut, cut2: r.cut2 };
    if (r.recoveryFlashMs > (m.slowestRecoveryFlashMs || 0)) m.slowestRecoveryFlashMs = r.recoveryFlashMs;
    if (!r.ok) {
      m.failures++;
      failures.push(r);
      console.log(`FAIL ${bucket} ${JSON.stringify({ cut: r.cut, cut2: r.cut2 })}: ${r.problems.join("; ")}`);
      if (o.verbose) console.log(r.consoles.map((c) => c.join("\n")).join("\n----\n"));
    }
    if (Date.now() - lastPrint > 10000) {
      lastPrint = Date.now();
      console.log(`  ... ${cases} cases, ${failures.length} failures, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  };
  try {
    console.log(`faults: seed ${o.seed} (replay: npm run faults -- --no-sweep --seed ${o.seed} --cases ${o.cases})`);
    const scenarios = (await makeScenarios(work, mods.image.packImage, o.scenario));
    const modes = {};
    for (const sc of scenarios) {
      modes[sc.name] = { board: sc.board, updateMode: sc.mode, ops: sc.ops, uncut: sc.uncutLog };
      console.log(`${sc.name.padEnd(12)} ${sc.board} ${sc.mode}: ${sc.ops} flash operations uncut (${sc.uncutLog.join(" | ")})`);
    }
    const CUTS = ["before", "after", "torn"];
    if (o.only !== null) {
      const k = randomCase(o.seed, o.only, scenarios);
      const r = await runCase(k.sc, k, check, work);
      console.log(JSON.stringify({ ...r, consoles: undefined }, null, 2));
      console.log((r.consoles || []).map((c) => c.join("\n")).join("\n----\n"));
      return r.ok ? 0 : 1;
    }
    if (o.sweep) {
      for (const sc of scenarios) {
        // Every operation, every cut mode, and a torn double fault during the recovery.
        const stride = o.quick ? Math.max(1, Math.ceil(sc.ops / 12)) : 1;
        const is = [];
        for (let i = 1; i <= sc.ops; i += stride) is.push(i);
        if (is[is.length - 1] !== sc.ops) is.push(sc.ops);
        if (o.at) is.splice(0, is.length, o.at);
        const t0 = Date.now();
        await pool(o.jobs, is.length, async (n) => {
          const i = is[n];
          let recoveryOps = 0;
          for (const mode of CUTS) {
            const r = await runCase(sc, { cut: { at: i, mode, seed: (o.seed ^ (i * 2654435761)) >>> 0 } }, check, work);
            if (mode === "torn" && r.recoveryOps) recoveryOps = r.recoveryOps;
            record(r, sc.name);
          }
          if (recoveryOps > 1 && !o.quick) {
            const j = 1 + (((o.seed ^ (i * 40503)) >>> 0) % (recoveryOps - 1));
            const r = await runCase(sc, { cut: { at: i, mode: "torn", seed: (o.seed ^ (i * 2654435761)) >>> 0 }, cut2: { at: j, mode: "torn", seed: (o.seed + i) >>> 0 } }, check, work);
            record(r, sc.name);
          }
        });
        modes[sc.name].swept = is.length;
        modes[sc.name].sweepSeconds = (Date.now() - t0) / 1000;
        const m = stats[sc.name];
        console.log(`${sc.name.padEnd(12)} swept ${is.length} of ${sc.ops} operations x ${CUTS.join("/")}${o.quick ? "" : " + double faults"}: ${m.cases} cases, ${m.failures} failures, ${m.cutsHappened} cuts, ${m.doubleFaults} double faults, outcomes ${JSON.stringify(m.outcomes)}`);
      }
    }
    const t1 = Date.now();
    await pool(o.jobs, o.cases, async (n) => { const k = randomCase(o.seed, n, scenarios); record(await runCase(k.sc, k, check, work), "random"); });
    if (o.cases) {
      const m = stats.random;
      console.log(`random       ${o.cases} cases (seed ${o.seed}): ${m.failures} failures, ${m.cutsHappened} cuts, ${m.doubleFaults} double faults, outcomes ${JSON.stringify(m.outcomes)}, ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    }
    const wallMs = Date.now() - started;
    for (const [k, v] of Object.entries(stats)) if (modes[k]) Object.assign(modes[k], v);
    const report = {
      cases, failures: failures.length, seed: o.seed, quick: o.quick, wallSeconds: wallMs / 1000, jobs: o.jobs,
      modes, random: stats.random || { cases: 0 }, slowestRecovery: slowest, slowestRecoveryOnChip: heaviest,
      failed: failures.slice(0, 20),
    };
    fs.mkdirSync(path.dirname(o.report), { recursive: true });
    fs.writeFileSync(o.report, JSON.stringify(report, null, 2) + "\n");
    console.log(`slowest recovery: ${slowest.ms} ms wall in the simulator (${slowest.scenario} cut ${JSON.stringify(slowest.cut)}); on a chip the heaviest recovery boot does ${heaviest.ops} flash operations, ${(heaviest.flashMs / 1000).toFixed(1)} s at datasheet typical times (${heaviest.scenario} cut ${JSON.stringify(heaviest.cut)}${heaviest.cut2 ? " then " + JSON.stringify(heaviest.cut2) : ""})`);
    console.log(`faults: ${cases} cases, ${failures.length} failures, seed ${o.seed}, ${(wallMs / 1000).toFixed(1)} s with ${o.jobs} jobs -> ${path.relative(ROOT, o.report)}`);
    return failures.length ? 1 : 0;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Random case n of the seed: scenario, operation, cut mode, torn seed; a third are double faults. */
function randomCase(seed, n, scenarios) {
  const r = rng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  for (let i = 0; i < 4; i++) r();
  const sc = scenarios[r() % scenarios.length];
  const modes = ["before", "after", "torn"];
  const k = { sc, cut: { at: 1 + (r() % sc.ops), mode: modes[r() % 3], seed: r() } };
  if (r() % 3 === 0) k.cut2 = { at: 1 + (r() % 48), mode: modes[r() % 3], seed: r() };
  return k;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`faults: ${e.stack || e.message}`);
    process.exit(2);
  },
);
