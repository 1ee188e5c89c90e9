// typeboot upload to many boards (--to h1 h2 ..., --to-file) and typeboot watch, against native simulated boards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, packImage, fakeApp, freePort } from "./helpers/host.mjs";
import { startTarget } from "./helpers/target.mjs";

const BIN = path.join(ROOT, "bin", "typeboot.js");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-fleet-"));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args, { timeout = 60000 } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout, killSignal: "SIGKILL", env: { ...process.env, TYPEBOOT_USER: "", TYPEBOOT_PASSWORD: "" } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function image(name, board, version, size = 100000) {
  const f = path.join(dir, name);
  fs.writeFileSync(f, packImage({ board, version, payload: fakeApp(size, size) }));
  return f;
}

/** host:httpPort/tftpPort of a simulated board. */
const spec = (t) => `127.0.0.1:${t.port}/${t.tftpPort}`;

test("fleet: 20 boards updated 5 at a time, the summary as JSON and as a table", async () => {
  const boards = await Promise.all(Array.from({ length: 20 }, () => startTarget("native")));
  try {
    // Half of them run 1.0.0 already (the old version in the summary).
    const v1 = image("f1.tbi", "stm324xg-eval", "1.0.0", 20000);
    const first = await cli(["upload", v1, "--to", ...boards.slice(0, 10).map(spec), "--parallel", "5", "--json"]);
    assert.equal(first.code, 0, first.stderr + first.stdout);

    const v2 = image("f2.tbi", "stm324xg-eval", "2.0.0", 120000);
    const r = await cli(["upload", v2, "--to", ...boards.map(spec), "--parallel", "5", "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const rows = JSON.parse(r.stdout);
    assert.equal(rows.length, 20);
    rows.forEach((row, i) => {
      assert.equal(row.board, spec(boards[i]));
      assert.equal(row.ok, true, JSON.stringify(row));
      assert.equal(row.newVersion, "2.0.0");
      assert.equal(row.oldVersion, i < 10 ? "1.0.0" : null);
      assert.equal(row.error, null);
      assert.equal(row.attempts, 1);
      assert.equal(typeof row.seconds, "number");
    });
    for (const t of boards) assert.equal((await t.status()).app.version, "2.0.0");

    // The same from a hosts file (comments, blank lines), as a table.
    const list = path.join(dir, "hosts.txt");
    fs.writeFileSync(list, "# the lab\n" + boards.slice(0, 6).map((t) => spec(t) + "   # bench " + t.port).join("\n") + "\n\n");
    const v3 = image("f3.tbi", "stm324xg-eval", "2.1.0", 30000);
    const tab = await cli(["upload", v3, "--to-file", list, "--parallel", "3"]);
    assert.equal(tab.code, 0, tab.stderr + tab.stdout);
    const lines = tab.stdout.trim().split("\n");
    assert.match(lines[0], /^board\s+old\s+new\s+time\s+result$/);
    for (let i = 0; i < 6; i++) assert.match(lines[1 + i], new RegExp(`^${spec(boards[i]).replace(/\./g, "\\.")}\\s+2\\.0\\.0\\s+2\\.1\\.0\\s+[\\d.]+ s\\s+ok$`));
    assert.match(lines[7], /6 of 6 boards updated/);
  } finally {
    await Promise.all(boards.map((t) => t.close()));
  }
});

test("fleet: an unreachable board (retried) and one of another type (not retried) fail; the others succeed; exit 1", async () => {
  const good = await Promise.all(Array.from({ length: 3 }, () => startTarget("native")));
  const nucleo = await startTarget("native", { board: "nucleo-f429zi" });
  try {
    const closed = `127.0.0.1:${await freePort()}/${await freePort("udp")}`;
    const f = image("e.tbi", "stm324xg-eval", "3.0.0", 50000);
    const hosts = [spec(good[0]), closed, spec(good[1]), spec(nucleo), spec(good[2])];
    const r = await cli(["upload", f, "--to", ...hosts, "--parallel", "2", "--retries", "2", "--timeout", "2", "--json"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const rows = JSON.parse(r.stdout);
    assert.deepEqual(rows.map((x) => x.ok), [true, false, true, false, true]);
    for (const i of [0, 2, 4]) assert.equal(rows[i].newVersion, "3.0.0");
    assert.match(rows[1].error, /cannot reach 127\.0\.0\.1:\d+: connection refused/);
    assert.equal(rows[1].attempts, 3); // a network failure: tried again, twice
    assert.match(rows[3].error, /refused the upload: image is for board id 1031, this is nucleo-f429zi/);
    assert.equal(rows[3].attempts, 1); // a refusal: not tried again
    assert.equal(rows[3].newVersion, null);
    assert.ok(r.ms < 20000, `took ${r.ms} ms`);

    // The table says the same, one line a board, no stack trace.
    const t = await cli(["upload", f, "--to", closed, spec(nucleo), "--retries", "0", "--timeout", "2"]);
    assert.equal(t.code, 1);
    assert.match(t.stdout, /connection refused/);
    assert.match(t.stdout, /FAILED: .*this is nucleo-f429zi/);
    assert.match(t.stdout, /0 of 2 boards updated, 2 failed/);
    assert.doesNotMatch(t.stdout + t.stderr, /\n\s+at /);

    // Usage mistakes: exit 2.
    for (const [args, re] of [
      [["upload", f, "--to-file", path.join(dir, "nope.txt")], /no such file/],
      [["upload", f, "--to", spec(good[0]), spec(good[0])], /listed twice/],
      [["upload", f, "--to", spec(good[0]), spec(good[1]), "--parallel", "0"], /--parallel must be/],
      [["upload", f, "--to", "127.0.0.1:80/99999"], /TFTP port must be/],
    ]) {
      const u = await cli(args);
      assert.equal(u.code, 2, `${args.join(" ")}: ${u.stderr}`);
      assert.match(u.stderr, re);
    }
  } finally {
    await Promise.all([...good, nucleo].map((t) => t.close()));
  }
});

test("watch: shows the progress of an upload from another process, the new version, and exits", async () => {
  // Datasheet flash timing: the sector erases make the upload last long enough to be seen.
  const t = await startTarget("native", { timing: true });
  try {
    const once = await cli(["watch", `127.0.0.1:${t.port}`, "--once", "--timeout", "5"]);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /stm324xg-eval in update-mode, no application/);

    const watch = spawn(process.execPath, [BIN, "watch", `127.0.0.1:${t.port}`, "--interval", "50", "--timeout", "40"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    watch.stdout.on("data", (d) => (out += d));
    watch.stderr.on("data", (d) => (err += d));
    const exited = new Promise((resolve) => watch.on("exit", (code) => resolve(code)));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const f = image("w.tbi", "stm324xg-eval", "4.5.6", 400000);
      const up = await cli(["upload", f, "--to", spec(t)]);
      assert.equal(up.code, 0, up.stderr);
      const code = await exited;
      assert.equal(code, 0, out + err);
    } finally {
      watch.kill("SIGKILL");
    }
    assert.match(out, /state: update-mode → receiving/);
    const progress = out.split("\n").filter((l) => /^tftp from 127\.0\.0\.1:\d+: +\d+% [\d.]+ KiB of 391\.1 KiB, [\d.]+ (KiB|MiB|B)\/s, [\d.]+ s$/.test(l));
    assert.ok(progress.length >= 2, out);
    assert.match(out, /upload finished: version 4\.5\.6, 391\.1 KiB by tftp/);

    // A refused image: watch reports the board's error and exits 1; --json events.
    const w2 = spawn(process.execPath, [BIN, "watch", `127.0.0.1:${t.port}`, "--interval", "50", "--timeout", "20", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out2 = "";
    w2.stdout.on("data", (d) => (out2 += d));
    const exited2 = new Promise((resolve) => w2.on("exit", (code) => resolve(code)));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const bad = image("wb.tbi", "nucleo-f429zi", "1.0.0", 1000);
      const up = await cli(["upload", bad, "--to", spec(t)]);
      assert.equal(up.code, 1);
      assert.equal(await exited2, 1, out2);
    } finally {
      w2.kill("SIGKILL");
    }
    const events = out2.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(events[0].event, "status");
    assert.equal(events[0].status.lastUpdate.version, "4.5.6");
    const last = events[events.length - 1];
    assert.equal(last.event, "failed");
    assert.match(last.lastError.message, /image is for board id 1065/);

    // Nothing finishes: bounded by --timeout, exit 1.
    const idle = await cli(["watch", `127.0.0.1:${t.port}`, "--interval", "100", "--timeout", "1"]);
    assert.equal(idle.code, 1);
    assert.match(idle.stdout, /no finished upload within 1 s/);
    assert.ok(idle.ms < 5000);
  } finally {
    await t.close();
  }
});
