// The TFTP server driven by real clients (curl, tftp-hpa and atftp) on 127.0.0.1 and a free port,
// against both targets of helpers/target.mjs: "node" (startTftp under Node over the NOR model) and
// "native" (the C runtime, build/host-runtime/typeboot-sim, its flash a file). Each test runs once
// per target on a fresh board with patterned flash. After each upload the slot must hold the image,
// marked valid, and flash outside the slot must be unchanged; what the service did is read from
// the status document (GET /api/status), as any client sees it.
//
// Nothing is skipped for the native target. The only differences: the in-process target runs with
// short TFTP timeouts (the abandoned-upload test: 100 ms, 2 retries) where the native one runs the
// bundle's defaults (2 s, 5 retries; that test takes ~12 s there), and the node target also checks
// the NOR model's operation counters (nor.ops, nor.erases) on top of the flash bytes both compare.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { wrq, data, parse, image, slotOf, assertImageInSlot, assertOutsideSlotUnchanged, BOARD } from "./helpers/tftp-util.mjs";
import { has, runClient, rawPeer, timedUpload } from "./helpers/tftp-net.mjs";
import { KINDS, startTarget } from "./helpers/target.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-tftp-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const missing = (cmd) => (has(cmd) ? false : cmd + " is not installed");

let fileNo = 0;
function file(bytes) {
  const f = path.join(tmp, "img" + ++fileNo + ".tbi");
  fs.writeFileSync(f, bytes);
  return f;
}

/** One test per target: `node: name` and `native: name`. */
function both(name, opts, fn) {
  for (const kind of KINDS) test(`${kind}: ${name}`, { timeout: 60000, ...opts }, (t) => fn(t, kind));
}

/** A fresh board with patterned flash, closed when the test ends (pass or fail). */
async function server(t, kind, o = {}) {
  const s = await startTarget(kind, { pattern: true, ...o });
  t.after(s.close);
  s.before = s.snapshot();
  return s;
}

const same = (a, b) => Buffer.from(a).equals(Buffer.from(b));

async function uploadWith(t, kind, client, argsOf, payloadBytes) {
  const s = await server(t, kind);
  const img = image(payloadBytes, BOARD, fileNo + 7);
  const f = file(img);
  const r = await runClient(client, argsOf(f, s.tftpPort));
  assert.equal(r.timedOut, false, client + " timed out");
  assert.equal(r.code, 0, client + " failed: " + r.out + r.err);
  assert.doesNotMatch(r.out + r.err, /error/i);
  assertImageInSlot(assert, s, img);
  assertOutsideSlotUnchanged(assert, s, s.before);
  const st = await s.status();
  assert.equal(st.lastUpdate.transport, "tftp");
  assert.equal(st.lastUpdate.bytes, img.length);
  assert.equal(st.state, "update-mode");
  assert.equal(st.transfer, null);
  return { s, r, img };
}

both("curl --tftp-blksize 1468 uploads an image (tsize and blksize negotiated)", { skip: missing("curl") }, async (t, kind) => {
  await uploadWith(t, kind, "curl", (f, port) => ["-sS", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${port}/app.tbi`], 400000);
});

both("curl with its default block size uploads an image", { skip: missing("curl") }, async (t, kind) => {
  await uploadWith(t, kind, "curl", (f, port) => ["-sS", "-T", f, `tftp://127.0.0.1:${port}/app.tbi`], 150000);
});

both("tftp-hpa (binary, no options, lock-step) uploads an image", { skip: missing("tftp") }, async (t, kind) => {
  await uploadWith(t, kind, "tftp", (f, port) => ["127.0.0.1", String(port), "-m", "binary", "-c", "put", f, "app.tbi"], 150000);
});

both("atftp with windowsize 8 and blksize 1428 uploads an image", { skip: missing("atftp") }, async (t, kind) => {
  const { r } = await uploadWith(
    t, kind, "atftp",
    (f, port) => ["--trace", "--option", "windowsize 8", "--option", "blksize 1428", "-p", "-l", f, "-r", "app.tbi", "127.0.0.1", String(port)],
    300000,
  );
  const trace = r.out + r.err;
  assert.match(trace, /received OACK <[^>]*windowsize: 8/);
  assert.match(trace, /blksize: 1428/);
  // Windows of 8 blocks: ACKs come for blocks 8, 16, ...
  assert.match(trace, /received ACK <block: 16>/);
  assert.doesNotMatch(trace, /received ACK <block: 9>/);
});

both("curl reads the status file (RRQ) and it reflects the upload", { skip: missing("curl") }, async (t, kind) => {
  const { s } = await uploadWith(t, kind, "curl", (f, port) => ["-sS", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${port}/app.tbi`], 50000);
  const r = await runClient("curl", ["-sS", `tftp://127.0.0.1:${s.tftpPort}/status`]);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out);
  assert.equal(doc.board, BOARD);
  assert.equal(doc.app.valid, true);
  assert.equal(doc.app.version, "1.2.3");
  assert.equal(doc.lastUpdate.transport, "tftp");
  // With a small block size: several blocks.
  const r2 = await runClient("curl", ["-sS", "--tftp-blksize", "64", `tftp://127.0.0.1:${s.tftpPort}/status.json`]);
  assert.equal(r2.code, 0, r2.err);
  assert.equal(JSON.parse(r2.out).boardId, 1031);
  // Any other file: not found.
  const r3 = await runClient("curl", ["-sS", `tftp://127.0.0.1:${s.tftpPort}/app.tbi`]);
  assert.notEqual(r3.code, 0);
});

both("tftp-hpa reads the status file", { skip: missing("tftp") }, async (t, kind) => {
  const s = await server(t, kind);
  const out = path.join(tmp, `status-${kind}.json`);
  const r = await runClient("tftp", ["127.0.0.1", String(s.tftpPort), "-m", "binary", "-c", "get", "status", out]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(JSON.parse(fs.readFileSync(out, "utf8")).state, "update-mode");
});

both("a corrupt image (payload byte flipped) is refused with a TFTP error and not marked valid", { skip: missing("curl") || missing("tftp") }, async (t, kind) => {
  const s = await server(t, kind);
  const img = image(120000);
  img[60000] ^= 0x10;
  const f = file(img);
  const r = await runClient("curl", ["-sS", "-v", "--tftp-blksize", "1468", "-T", f, `tftp://127.0.0.1:${s.tftpPort}/app.tbi`]);
  assert.equal(r.timedOut, false);
  assert.notEqual(r.code, 0, "curl reported success for a corrupt image");
  assert.match(r.err, /TFTP error: payload CRC in flash is 0x[0-9a-f]{8}, header says 0x[0-9a-f]{8}: image corrupted, not marked valid/);
  let st = await s.status();
  assert.equal(st.lastError.code, "CRC_MISMATCH");
  assert.equal(st.app.valid, false);
  assert.equal(s.slotView().valid, false);
  assertOutsideSlotUnchanged(assert, s, s.before);
  // tftp-hpa shows the server's message (its exit status is 0 whatever happens).
  const r2 = await runClient("tftp", ["127.0.0.1", String(s.tftpPort), "-m", "binary", "-c", "put", f, "app.tbi"]);
  assert.match(r2.out + r2.err, /Error code 0: payload CRC in flash .* not marked valid/);
  st = await s.status();
  assert.equal(st.app.valid, false);
  assert.equal(st.state, "update-mode");
  assert.equal(st.transfer, null);
});

both("a wrong-board image is refused before any erase (slot bytes unchanged)", { skip: missing("curl") || missing("atftp") }, async (t, kind) => {
  const s = await server(t, kind);
  const f = file(image(120000, "nucleo-f429zi"));
  const r = await runClient("curl", ["-sS", "-v", "-T", f, `tftp://127.0.0.1:${s.tftpPort}/app.tbi`]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /TFTP error: image is for board id/);
  assert.equal((await s.status()).lastError.code, "WRONG_BOARD");
  const r2 = await runClient("atftp", ["-p", "-l", f, "-r", "app.tbi", "127.0.0.1", String(s.tftpPort)]);
  assert.notEqual(r2.code, 0);
  assert.match(r2.err + r2.out, /image is for board id \d+, this is stm324xg-eval/);
  if (s.nor) {
    assert.equal(s.nor.erases.length, 0, "a sector was erased");
    assert.equal(s.nor.ops, 0, "flash was touched");
  }
  assert.ok(same(s.snapshot(), s.before), "flash changed (patterned flash: an erase shows too)");
});

both("curl with an image larger than the slot: ERROR 3 from tsize, before any flash operation", { skip: missing("curl") }, async (t, kind) => {
  const s = await server(t, kind);
  const f = file(new Uint8Array(slotOf(s).size + 4096));
  const r = await runClient("curl", ["-sS", "-v", "-T", f, `tftp://127.0.0.1:${s.tftpPort}/app.tbi`]);
  assert.match(r.err, /TFTP error: disk full or allocation exceeded: upload of \d+ bytes does not fit/);
  assert.equal(r.code, 70, "curl exit code 70 is 'disk full or allocation exceeded': " + r.err);
  if (s.nor) assert.equal(s.nor.ops, 0);
  assert.ok(same(s.snapshot(), s.before), "flash changed");
  assert.equal((await s.status()).lastError.code, "TOO_LARGE");
});

both("tftp-hpa in netascii mode gets a clear ERROR", { skip: missing("tftp") }, async (t, kind) => {
  const s = await server(t, kind);
  const f = file(image(1000));
  const r = await runClient("tftp", ["127.0.0.1", String(s.tftpPort), "-m", "netascii", "-c", "put", f, "app.tbi"]);
  assert.match(r.out + r.err, /Error code 0: mode netascii not supported: use binary \(octet\) mode/);
  if (s.nor) assert.equal(s.nor.ops, 0);
  assert.ok(same(s.snapshot(), s.before), "flash changed");
});

both("a second client while an upload runs is told busy; a stranger gets ERROR 5; the first upload completes", { skip: missing("curl") }, async (t, kind) => {
  // 2 s: the native target's (the bundle's) default timeout, so both targets see the same server.
  const s = await server(t, kind, kind === "node" ? { tftp: { timeoutMs: 2000, retries: 5 } } : {});
  const img = image(30000);
  const peer = await rawPeer();
  t.after(peer.close);
  peer.send(wrq("app.tbi", [["blksize", "1024"]]), s.tftpPort);
  const oack = await peer.next();
  assert.equal(parse(oack.b).op, 6);
  const tid = oack.port;
  assert.notEqual(tid, s.tftpPort, "the transfer uses a new port");
  const blocks = Math.floor(img.length / 1024) + 1;
  const block = (n) => data(n, img.subarray((n - 1) * 1024, n * 1024));
  peer.send(block(1), tid);
  assert.deepEqual(parse((await peer.next()).b), { op: 4, block: 1 });
  // curl meanwhile: busy.
  const r = await runClient("curl", ["-sS", "-v", "-T", file(image(5000)), `tftp://127.0.0.1:${s.tftpPort}/app.tbi`], { timeoutMs: 15000 });
  assert.notEqual(r.code, 0);
  assert.match(r.err, /TFTP error: busy: another upload is in progress \(tftp from 127\.0\.0\.1:\d+\)/);
  assert.equal((await s.status()).state, "receiving");
  // A stranger on the transfer port.
  const stranger = await rawPeer();
  t.after(stranger.close);
  stranger.send(block(2), tid);
  const e = parse((await stranger.next()).b);
  assert.deepEqual([e.op, e.code, e.msg], [5, 5, "unknown transfer ID"]);
  for (let n = 2; n <= blocks; n++) {
    peer.send(block(n), tid);
    assert.deepEqual(parse((await peer.next()).b), { op: 4, block: n });
  }
  assertImageInSlot(assert, s, img);
  assertOutsideSlotUnchanged(assert, s, s.before);
});

both("an abandoned upload is freed after the retries, then curl uploads", { skip: missing("curl") }, async (t, kind) => {
  const s = await server(t, kind, kind === "node" ? { tftp: { timeoutMs: 100, retries: 2 } } : {});
  const peer = await rawPeer();
  t.after(peer.close);
  const wait = s.tftpTimeoutMs + 2000;
  peer.send(wrq("app.tbi"), s.tftpPort);
  const first = await peer.next();
  assert.deepEqual(parse(first.b), { op: 4, block: 0 });
  // Retransmissions of ACK 0 (one per retry), then an ERROR: the server gave up.
  for (let i = 0; i < s.tftpRetries; i++) assert.deepEqual(parse((await peer.next(wait)).b), { op: 4, block: 0 });
  const e = parse((await peer.next(wait)).b);
  assert.equal(e.op, 5);
  const st = await s.status();
  assert.equal(st.state, "update-mode");
  assert.equal(st.transfer, null);
  const img = image(20000);
  const r = await runClient("curl", ["-sS", "-T", file(img), `tftp://127.0.0.1:${s.tftpPort}/app.tbi`]);
  assert.equal(r.code, 0, r.err);
  assertImageInSlot(assert, s, img);
});

both("with datasheet flash timing the ACK leaves before each erase (no ACK waits for its own erase)", {}, async (t, kind) => {
  const s = await server(t, kind, { timing: true });
  const img = image(140000);
  // Lock-step with blksize 1468, exactly one ACK per block (no retransmission right after an
  // erase), each timed on arrival: from a worker thread, so that the in-process target's flash
  // stall (which blocks this thread) does not count against an ACK that left before it.
  const { lat } = await timedUpload(s.tftpPort, img, 1468, 5000);
  // Two 128 KB sectors erased, and only those: the rest of the second one is erased (0xFF), the
  // third one still holds its pattern.
  if (s.nor) assert.equal(s.nor.erases.length, 2, "two 128 KB sectors");
  const now = s.snapshot();
  const sectors = s.layout.sectors.filter((x) => x.addr >= s.slot.addr && x.addr < s.slot.addr + s.slot.size);
  const spanned = sectors.filter((x) => x.addr < s.slot.addr + img.length);
  assert.equal(spanned.length, 2);
  const off = (a) => a - s.base;
  const end2 = spanned[1].addr + spanned[1].size;
  assert.ok(now.subarray(off(s.slot.addr + img.length + 64), off(end2)).every((x) => x === 0xff), "the second sector was erased");
  assert.ok(same(now.subarray(off(end2), off(s.slot.addr + s.slot.size)), s.before.subarray(off(end2), off(s.slot.addr + s.slot.size))), "no sector beyond the image was erased");
  // Block 1 completes the header: its service step erases the first sector, after its ACK.
  assert.ok(lat[0] < 300, "ACK of block 1 took " + lat[0] + " ms");
  // A client waits at most about one sector erase (1 s typical for 128 KB).
  assert.ok(Math.max(...lat) < 1600, "slowest ACK took " + Math.max(...lat) + " ms");
  assertImageInSlot(assert, s, img);
  assertOutsideSlotUnchanged(assert, s, s.before);
});
