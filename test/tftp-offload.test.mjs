// The TFTP receive offload (UdpSocket.offload, the native runtime: firmware/core/loop.c) seen from
// the wire, packet by packet, against both targets of helpers/target.mjs: "native" (typeboot-sim,
// where full in-order DATA blocks are taken and ACKed by C and reach TypeScript in batches) and
// "node" (no offload: every packet goes through the TypeScript core). The answers on the wire must
// be the same, except where the offload documents a difference: a flash error reaches the client
// some blocks late (the flash work runs per batch).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { wrq, data, parse, image, assertImageInSlot, assertOutsideSlotUnchanged } from "./helpers/tftp-util.mjs";
import { rawPeer } from "./helpers/tftp-net.mjs";
import { KINDS, SIM, startTarget } from "./helpers/target.mjs";

const BS = 1468;

function both(name, fn) {
  for (const kind of KINDS) test(`${kind}: ${name}`, { timeout: 60000 }, (t) => fn(t, kind));
}

/** A fresh board (patterned flash) and a write transfer negotiated by a raw peer. */
async function upload(t, kind, img, opts = []) {
  const s = await startTarget(kind, { pattern: true, ...(kind === "node" ? { tftp: { timeoutMs: 2000, retries: 5 } } : {}) });
  t.after(s.close);
  s.before = s.snapshot();
  const peer = await rawPeer();
  t.after(peer.close);
  peer.send(wrq("app.tbi", [["blksize", String(BS)], ["tsize", String(img.length)], ...opts]), s.tftpPort);
  const oack = await peer.next();
  assert.equal(parse(oack.b).op, 6);
  const tid = oack.port;
  const blocks = Math.floor(img.length / BS) + 1;
  return {
    s, peer, tid, blocks,
    send: (n) => peer.send(data(n, img.subarray((n - 1) * BS, n * BS)), tid),
    next: async (ms) => parse((await peer.next(ms)).b),
    /** Nothing more arrives within ms. */
    quiet: async (ms = 300) => {
      await assert.rejects(peer.next(ms), /no datagram/);
    },
  };
}

/** Lock-step from block `from` to `to` (the end): ACK n for each block n. */
async function lockStep(u, from, to = u.blocks) {
  for (let n = from; n <= to; n++) {
    u.send(n);
    assert.deepEqual(await u.next(), { op: 4, block: n }, "ACK of block " + n);
  }
}

async function done(u, img) {
  await u.quiet();
  assertImageInSlot(assert, u.s, img);
  assertOutsideSlotUnchanged(assert, u.s, u.s.before);
  const st = await u.s.status();
  assert.equal(st.lastUpdate.bytes, img.length);
  assert.equal(st.transfer, null);
}

both("lock-step blocks across several batches: one ACK per block, the image lands intact", async (t, kind) => {
  const img = image(120000, undefined, 11);
  const u = await upload(t, kind, img);
  await lockStep(u, 1);
  await done(u, img);
});

both("a repeated block already ACKed is ACKed again once (once per gap) and dropped", async (t, kind) => {
  const img = image(60000, undefined, 12);
  const u = await upload(t, kind, img);
  await lockStep(u, 1, 5);
  // Block 5 again (our ACK "was lost"): ACK 5 again; a second repeat gets nothing.
  u.send(5);
  assert.deepEqual(await u.next(), { op: 4, block: 5 });
  u.send(5);
  await u.quiet();
  await lockStep(u, 6);
  await done(u, img);
});

both("a foreign TID in the middle of a batch gets ERROR 5; the transfer goes on", async (t, kind) => {
  const img = image(60000, undefined, 13);
  const u = await upload(t, kind, img);
  await lockStep(u, 1, 6);
  const stranger = await rawPeer();
  t.after(stranger.close);
  stranger.send(data(7, img.subarray(6 * BS, 7 * BS)), u.tid);
  const e = parse((await stranger.next()).b);
  assert.deepEqual([e.op, e.code, e.msg], [5, 5, "unknown transfer ID"]);
  await lockStep(u, 7);
  await done(u, img);
});

both("an image of whole blocks ends with an empty DATA, handled by the TypeScript core (final ACK after the valid mark)", async (t, kind) => {
  const hs = image(4).length - 4; // the header alone
  const img = image(20 * BS - hs, undefined, 14);
  assert.equal(img.length, 20 * BS);
  const u = await upload(t, kind, img);
  assert.equal(u.blocks, 21);
  await lockStep(u, 1, 20);
  assert.equal((await u.s.status()).lastUpdate, null, "not finished before the empty block");
  u.peer.send(data(21, new Uint8Array(0)), u.tid);
  assert.deepEqual(await u.next(), { op: 4, block: 21 });
  await done(u, img);
});

both("windowsize 4: ACKs at window ends only; a lost block is NAKed once and the window resent", async (t, kind) => {
  const img = image(80000, undefined, 15);
  const u = await upload(t, kind, img, [["windowsize", "4"]]);
  let n = 1;
  for (; n + 3 <= 12; n += 4) {
    for (let k = n; k < n + 4; k++) u.send(k);
    assert.deepEqual(await u.next(), { op: 4, block: n + 3 });
  }
  await u.quiet(200);
  // 13, 14, (15 lost), 16: ACK 14 once.
  u.send(13);
  u.send(14);
  u.send(16);
  assert.deepEqual(await u.next(), { op: 4, block: 14 });
  await u.quiet(200);
  for (n = 15; n <= u.blocks; n += 4) {
    const last = Math.min(n + 3, u.blocks);
    for (let k = n; k <= last; k++) u.send(k);
    assert.deepEqual(await u.next(), { op: 4, block: last });
  }
  await done(u, img);
});

both("a client that stops in the middle of a batch gets its last ACK again from the retransmission timer", async (t, kind) => {
  const img = image(40000, undefined, 16);
  const u = await upload(t, kind, img);
  await lockStep(u, 1, 4);
  // Silence: the timer (2 s) hands the batch to TypeScript first, which counts it as progress; the
  // retransmission of ACK 4 follows within two intervals.
  assert.deepEqual(await u.next(6000), { op: 4, block: 4 });
  await lockStep(u, 5);
  await done(u, img);
});

test("native: a flash error comes out at the end of the batch that hits it (the offload ACKed the blocks before)", { timeout: 60000 }, async (t) => {
  const img = image(300000, undefined, 17);
  const u = await upload(t, "native", img);
  const slot = u.s.slot;
  // The slot's second 128 KB sector is erased when the write pointer enters it (block 90, in the
  // batch the offload hands over at block 91). Past that, a word that is not erased (written into
  // the flash file behind the simulator's back) makes a later program step fail.
  const sector = 128 * 1024;
  const bad = sector + 40 * 1024;
  const badBlock = Math.floor(bad / BS) + 1;
  await lockStep(u, 1, badBlock - 14);
  const fd = fs.openSync(u.s.flashFile, "r+");
  fs.writeSync(fd, new Uint8Array(4), 0, 4, slot.addr - u.s.base + bad);
  fs.closeSync(fd);
  let err = null, n = badBlock - 13;
  for (; n <= u.blocks && !err; n++) {
    u.send(n);
    const r = await u.next();
    if (r.op === 5) err = { at: n, r };
    else assert.deepEqual(r, { op: 4, block: n });
  }
  assert.ok(err, "an ERROR came");
  assert.match(err.r.msg, /not erased/);
  // Without offload the ERROR replaces the ACK of the bad block; with it, the blocks of the batch
  // were ACKed and the ERROR comes when the batch is programmed: within one batch (22 KB) later.
  assert.ok(err.at >= badBlock && err.at <= badBlock + Math.floor(22528 / BS) + 1, `ERROR at block ${err.at}, bad word in block ${badBlock}`);
  assert.ok(err.at > badBlock, "the offload ACKed the bad block before its flash work (the documented delay)");
  const st = await u.s.status();
  assert.equal(st.transfer, null);
  assert.equal(u.s.slotView().valid, false, "nothing marked valid");
});

test("native: Flash.verify compares flash with data (aligned or not, a one-bit difference, outside flash); offload() checks its arguments", { timeout: 30000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-verify-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const script = path.join(dir, "boot.js");
  fs.writeFileSync(script, `
    var F = require("Flash"), B = require("Boot");
    var a = F.getFree()[0].addr;
    F.erasePage(a);
    var d = new Uint8Array(64);
    for (var i = 0; i < 64; i++) d[i] = i * 7;
    F.write(d, a);
    var bad = new Uint8Array(d);
    bad[50] ^= 1;
    var r = [F.verify(a, d), F.verify(a + 4, d.subarray(4)), F.verify(a + 1, d.subarray(1, 20)), F.verify(a, d.subarray(0, 3)),
      F.verify(a, new Uint8Array(64)), F.verify(a, bad), F.verify(a + 64, d.subarray(0, 16))];
    var out = 0;
    try { F.verify(0x7ffffff0, d); } catch (e) { out = 1; }
    var s = require("dgram").createSocket("udp4"), badArgs = 0;
    try { s.offload("127.0.0.1", 1, 1, 0, 1, 4096); } catch (e) { badArgs = 1; }
    B.log("VERIFY " + JSON.stringify(r) + " " + out + " " + badArgs + " " + s.offload("127.0.0.1", 1, 1, 512, 1, 4096));
  `);
  const child = spawn(SIM, ["--board", "stm324xg-eval", "--flash", path.join(dir, "board.flash"), "--boot-js", script, "--no-reboot"], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no VERIFY line:\n" + out)), 20000);
    const on = (b) => {
      out += b;
      const m = /VERIFY .*/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout.on("data", on);
    child.stderr.on("data", on);
  });
  // Equal (aligned, an unaligned range, a 3-byte tail), then different: zeros, one bit, erased flash.
  // Outside flash throws; a zero blksize is refused; an unbound socket is not armed.
  assert.equal(line, "VERIFY [true,true,true,true,false,false,false] 1 1 false");
});

both("bad input in the middle of a batch: a truncated packet is ignored, an oversized DATA ends the transfer with ERROR 4; nothing outside the slot changes", async (t, kind) => {
  const img = image(80000, undefined, 17);
  const u = await upload(t, kind, img);
  await lockStep(u, 1, 6);
  u.peer.send(new Uint8Array([0, 3, 0]), u.tid); // shorter than any TFTP packet
  await u.quiet();
  u.peer.send(data(7, new Uint8Array(BS + 10)), u.tid); // larger than the negotiated blksize
  const e = await u.next();
  assert.deepEqual([e.op, e.code], [5, 4]);
  assert.match(e.msg, /larger than blksize/);
  await u.quiet();
  assertOutsideSlotUnchanged(assert, u.s, u.s.before);
  const st = await u.s.status();
  assert.equal(st.transfer, null);
  assert.equal(st.lastUpdate, null, "never finished");
  assert.equal(st.app.valid, false, "the partial image is not valid");
});
