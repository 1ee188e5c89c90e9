// Unit tests of the TFTP protocol state machine (src/net/tftp.ts, tftpCore): events in, actions out,
// over a real UpdateService and the NOR-flash model (no sockets, no timers), plus the thin binding
// (startTftp) over a fake dgram and fake timers.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  tftp, wrq, rrq, data, ack, error, parse, image, platform, service,
  assertImageInSlot, assertOutsideSlotUnchanged,
} from "./helpers/tftp-util.mjs";

const { tftpCore, startTftp, MAX_BLKSIZE } = tftp;
const A = "10.0.0.2";
const P = 5000;

function setup(o = {}) {
  const p = platform();
  const svc = service(p);
  const core = tftpCore(svc, o.timeoutMs || 1000, o.retries ?? 3);
  const before = p.nor.bytes.slice();
  return { p, svc, core, before };
}

/** Run actions as the binding would: service steps run in place (after the sends before them). */
function run(core, acts, trace = []) {
  for (const x of acts) {
    trace.push(x);
    if (x.k === "service") run(core, core.service(x.s), trace);
  }
  return trace;
}

const sends = (acts) => acts.filter((x) => x.k === "send").map((x) => ({ ...parse(x.b), s: x.s, a: x.a, p: x.p }));
const only = (acts) => {
  const s = sends(acts);
  assert.equal(s.length, 1, "expected exactly one packet, got " + JSON.stringify(s));
  return s[0];
};
const opened = (acts) => {
  const o = acts.find((x) => x.k === "open");
  assert.ok(o, "no transfer socket opened");
  return o.s;
};
/** Send blocks from..last of img (lock-step, no windows), running service steps. */
function rest(core, id, img, from, bs = 512, a = A, port = P) {
  const blocks = Math.floor(img.length / bs) + 1;
  let acts = [];
  for (let n = from; n <= blocks; n++) acts = run(core, core.packet(id, data(n & 65535, img.subarray((n - 1) * bs, n * bs)), a, port));
  return acts;
}
const timerOf = (acts) => acts.filter((x) => x.k === "timer").pop();
const closes = (acts, id) => acts.some((x) => x.k === "close" && x.s === id);

/** A whole upload: WRQ, (OACK), DATA blocks in windows; returns { id, trace, last }. */
function upload(core, img, o = {}) {
  const a = o.a || A, port = o.p || P;
  const opts = [];
  if (o.blksize) opts.push(["blksize", o.blksize]);
  if (o.windowsize) opts.push(["windowsize", o.windowsize]);
  if (o.tsize !== undefined) opts.push(["tsize", o.tsize]);
  const first = run(core, core.request(wrq("app.tbi", opts), a, port));
  const id = opened(first);
  const bs = Math.min(o.blksize || 512, MAX_BLKSIZE);
  const win = Math.min(o.windowsize || 1, 8);
  const blocks = Math.floor(img.length / bs) + 1;
  const trace = [...first];
  let last;
  for (let n = 1; n <= blocks; n++) {
    const acts = run(core, core.packet(id, data(n & 65535, img.subarray((n - 1) * bs, n * bs)), a, port));
    trace.push(...acts);
    last = acts;
    if (n < blocks && n % win !== 0) assert.equal(sends(acts).length, 0, "ACK inside a window at block " + n);
    if (sends(acts).some((s) => s.op === 5)) break;
  }
  return { id, trace, last };
}

test("WRQ without options: ACK 0 from a new transfer socket, lock-step upload, image written and valid", () => {
  const { p, svc, core, before } = setup();
  const img = image(70000);
  const acts = core.request(wrq("app.tbi"), A, P);
  const id = opened(acts);
  assert.notEqual(id, 0);
  const s = only(acts);
  assert.deepEqual([s.op, s.block, s.s, s.a, s.p], [4, 0, id, A, P]);
  assert.equal(timerOf(acts).ms, 1000);
  // The rest of the upload, block by block.
  const blocks = Math.floor(img.length / 512) + 1;
  for (let n = 1; n <= blocks; n++) {
    const r = run(core, core.packet(id, data(n, img.subarray((n - 1) * 512, n * 512)), A, P));
    const got = sends(r);
    assert.equal(got.length, 1);
    assert.deepEqual([got[0].op, got[0].block], [4, n]);
  }
  assertImageInSlot(assert, p, img);
  assertOutsideSlotUnchanged(assert, p, before);
  assert.equal(svc.active, null);
  assert.equal(svc.lastUpdate.transport, "tftp");
  assert.equal(core.sessions.length, 1, "the session dallies after the final ACK");
});

test("the ACK goes out before the flash work: erases happen only in the service step", () => {
  const { p, core } = setup();
  const img = image(300000);
  const id = opened(core.request(wrq("app.tbi", [["blksize", "1468"]]), A, P));
  let erasesInPacket = 0;
  let serviceSteps = 0;
  const blocks = Math.floor(img.length / 1468) + 1;
  for (let n = 1; n < blocks; n++) {
    const e0 = p.nor.erases.length;
    const acts = core.packet(id, data(n, img.subarray((n - 1) * 1468, n * 1468)), A, P);
    erasesInPacket += p.nor.erases.length - e0;
    // Order: the ACK, then the service step (which arms the retransmit timer once the flash work is done).
    assert.deepEqual(acts.map((x) => x.k), ["send", "service"]);
    assert.deepEqual([parse(acts[0].b).op, parse(acts[0].b).block], [4, n]);
    const more = core.service(id);
    serviceSteps++;
    assert.deepEqual(more.map((x) => x.k), ["timer"], "the timer is re-armed after the flash work");
  }
  assert.equal(erasesInPacket, 0, "push() erased before the ACK");
  assert.ok(p.nor.erases.length >= 2, "the service steps erased the sectors");
  const r = run(core, core.packet(id, data(blocks, img.subarray((blocks - 1) * 1468)), A, P));
  assert.deepEqual([only(r).op, only(r).block], [4, blocks]);
  assert.ok(serviceSteps > 0);
  assertImageInSlot(assert, p, img);
});

test("option negotiation: blksize clamped to 1468, timeout, tsize, windowsize clamped, unknown ignored", () => {
  const { core } = setup();
  const img = image(5000);
  const acts = core.request(
    wrq("app.tbi", [["BLKSIZE", "9000"], ["timeout", "3"], ["tsize", String(img.length)], ["windowsize", "64"], ["foo", "bar"]]),
    A, P,
  );
  const o = only(acts);
  assert.equal(o.op, 6);
  assert.deepEqual(o.opts, { blksize: "1468", timeout: "3", tsize: String(img.length), windowsize: "8" });
  assert.equal(timerOf(acts).ms, 3000, "the negotiated timeout is the retransmission interval");
  assert.equal(core.sessions[0].bs, 1468);
  assert.equal(core.sessions[0].win, 8);
});

test("OACK only for the options the client sent; bad values are not acknowledged", () => {
  const { core } = setup();
  const one = only(core.request(wrq("a.tbi", [["blksize", "1024"], ["color", "blue"]]), A, P));
  assert.deepEqual(one.opts, { blksize: "1024" });
  core.shutdown();
  // blksize below 8, timeout 0, windowsize 0 are invalid: no OACK, plain ACK 0, defaults kept.
  const { core: c2 } = setup();
  const r = only(c2.request(wrq("a.tbi", [["blksize", "4"], ["timeout", "0"], ["windowsize", "0"]]), A, P));
  assert.deepEqual([r.op, r.block], [4, 0]);
  assert.equal(c2.sessions[0].bs, 512);
  // Unknown options only: plain ACK 0.
  const { core: c3 } = setup();
  const r3 = only(c3.request(wrq("a.tbi", [["multicast", ""]]), A, P));
  assert.deepEqual([r3.op, r3.block], [4, 0]);
});

test("blksize 1468 upload end to end; tsize matching the image", () => {
  const { p, core, before } = setup();
  const img = image(200000);
  const { last } = upload(core, img, { blksize: 1468, tsize: img.length });
  assert.deepEqual([only(last).op], [4]);
  assertImageInSlot(assert, p, img);
  assertOutsideSlotUnchanged(assert, p, before);
});

test("tsize larger than the slot: ERROR 3 'disk full or allocation exceeded' before any flash operation", () => {
  const { p, svc, core } = setup();
  const acts = core.request(wrq("big.tbi", [["tsize", String(4 * 1024 * 1024)], ["blksize", "1468"]]), A, P);
  const e = only(acts);
  assert.equal(e.op, 5);
  assert.equal(e.code, 3);
  assert.match(e.msg, /^disk full or allocation exceeded/);
  assert.equal(e.s, 0, "answered from the listening socket");
  assert.ok(!acts.some((x) => x.k === "open"), "no transfer opened");
  assert.equal(p.nor.ops, 0, "flash was touched");
  assert.equal(svc.active, null);
  assert.equal(svc.lastError.code, "TOO_LARGE");
  assert.equal(core.sessions.length, 0);
});

test("netascii WRQ is refused with a clear ERROR; mode is case-insensitive for octet", () => {
  const { core, svc } = setup();
  const e = only(core.request(wrq("app.tbi", [], "netascii"), A, P));
  assert.equal(e.op, 5);
  assert.match(e.msg, /netascii.*octet/);
  assert.ok(e.nul, "ERROR message is NUL-terminated");
  assert.equal(core.sessions.length, 0);
  assert.equal(svc.active, null);
  const ok = only(core.request(wrq("app.tbi", [], "OCTET"), A, P));
  assert.deepEqual([ok.op, ok.block], [4, 0]);
});

test("windowsize 4: one ACK per window; the flash work follows each window's ACK", () => {
  const { p, core } = setup();
  const img = image(60000);
  const { trace } = upload(core, img, { blksize: 1024, windowsize: 4 });
  const acks = sends(trace).filter((s) => s.op === 4).map((s) => s.block);
  const blocks = Math.floor(img.length / 1024) + 1;
  const want = [];
  for (let n = 4; n < blocks; n += 4) want.push(n);
  want.push(blocks);
  assert.deepEqual(acks, want);
  assert.equal(trace.filter((x) => x.k === "service").length, want.length - 1);
  assertImageInSlot(assert, p, img);
});

test("windowsize: out-of-order block gets one ACK of the last in-order block; the window restarts there", () => {
  const { p, svc, core } = setup();
  const img = image(30000);
  const bs = 512;
  const blk = (n) => data(n, img.subarray((n - 1) * bs, n * bs));
  const o = only(core.request(wrq("app.tbi", [["windowsize", "4"]]), A, P));
  assert.equal(o.opts.windowsize, "4");
  const id = core.sessions[0].id;
  for (const n of [1, 2, 3]) assert.equal(sends(run(core, core.packet(id, blk(n), A, P))).length, 0);
  const w1 = only(run(core, core.packet(id, blk(4), A, P)));
  assert.deepEqual([w1.op, w1.block], [4, 4]);
  assert.equal(sends(run(core, core.packet(id, blk(5), A, P))).length, 0);
  // 6 lost: 7 is out of order -> ACK 5, once; 8 gets nothing more.
  const gap = only(run(core, core.packet(id, blk(7), A, P)));
  assert.deepEqual([gap.op, gap.block], [4, 5]);
  assert.equal(sends(run(core, core.packet(id, blk(8), A, P))).length, 0);
  assert.equal(svc.active.received, 5 * bs, "out-of-order blocks were not written");
  // The sender restarts at 6: a full window 6..9 is ACKed at 9.
  for (const n of [6, 7, 8]) assert.equal(sends(run(core, core.packet(id, blk(n), A, P))).length, 0);
  const w2 = only(run(core, core.packet(id, blk(9), A, P)));
  assert.deepEqual([w2.op, w2.block], [4, 9]);
  const blocks = Math.floor(img.length / bs) + 1;
  for (let n = 10; n <= blocks; n++) run(core, core.packet(id, blk(n), A, P));
  assertImageInSlot(assert, p, img);
});

test("duplicate DATA (lost ACK) is re-ACKed and not written twice", () => {
  const { p, svc, core } = setup();
  const img = image(3000);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  const b1 = data(1, img.subarray(0, 512));
  run(core, core.packet(id, b1, A, P));
  const again = only(run(core, core.packet(id, b1, A, P)));
  assert.deepEqual([again.op, again.block], [4, 1]);
  assert.equal(svc.active.received, 512);
  // Only one ACK per gap: the next duplicate waits for the timer.
  assert.equal(core.packet(id, b1, A, P).length, 0);
  const again2 = only(core.timeout(id));
  assert.deepEqual([again2.op, again2.block], [4, 1]);
  // In order again, then a block from ahead: ACK the last in-order block.
  run(core, core.packet(id, data(2, img.subarray(512, 1024)), A, P));
  const ahead = only(run(core, core.packet(id, data(4, img.subarray(1536, 2048)), A, P)));
  assert.deepEqual([ahead.op, ahead.block], [4, 2]);
  assert.equal(svc.active.received, 1024);
  rest(core, id, img, 3);
  assertImageInSlot(assert, p, img);
});

test("block numbers wrap around past 65535 (to 0)", () => {
  // A counting upload (no flash) so 70000 blocks stay quick.
  let bytes = 0;
  let finished = false;
  const svc = {
    status: () => ({}),
    begin: () => ({
      push: (c) => ((bytes += c.length), null),
      service: () => null,
      finish: () => ((finished = true), null),
      abort: () => {},
      received: () => bytes,
      total: () => 0,
    }),
  };
  const core = tftpCore(svc, 1000, 3);
  const id = opened(core.request(wrq("big", [["blksize", "8"]]), A, P));
  const chunk = new Uint8Array(8);
  const total = 70000;
  let lastAck = -1;
  for (let n = 1; n <= total; n++) {
    const acts = core.packet(id, data(n & 65535, n === total ? chunk.subarray(0, 3) : chunk), A, P);
    const s = sends(acts);
    assert.equal(s.length, 1);
    assert.equal(s[0].op, 4, "block " + n + ": " + JSON.stringify(s[0]));
    lastAck = s[0].block;
    if (n === 65535) assert.equal(lastAck, 65535);
    if (n === 65536) assert.equal(lastAck, 0);
  }
  assert.equal(lastAck, total & 65535);
  assert.equal(bytes, (total - 1) * 8 + 3);
  assert.ok(finished);
});

test("TID check: a stranger gets ERROR 5 'unknown transfer ID', the transfer is undisturbed", () => {
  const { p, svc, core } = setup();
  const img = image(2000);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  run(core, core.packet(id, data(1, img.subarray(0, 512)), A, P));
  for (const [a, port] of [[A, P + 1], ["10.0.0.3", P]]) {
    const acts = core.packet(id, data(2, img.subarray(512, 1024)), a, port);
    const e = only(acts);
    assert.deepEqual([e.op, e.code, e.msg, e.a, e.p, e.s], [5, 5, "unknown transfer ID", a, port, id]);
    assert.ok(!acts.some((x) => x.k === "close" || x.k === "timer"));
  }
  // An ERROR from a stranger is not answered and does not end the transfer.
  assert.equal(core.packet(id, error(0, "go away"), A, P + 9).length, 0);
  assert.equal(svc.active.received, 512);
  rest(core, id, img, 2);
  assertImageInSlot(assert, p, img);
});

test("retransmits the last ACK on timeout, then gives up: ERROR, session freed, upload aborted", () => {
  const { p, svc, core } = setup({ retries: 3 });
  const img = image(20000);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  run(core, core.packet(id, data(1, img.subarray(0, 512)), A, P));
  for (let i = 0; i < 3; i++) {
    const r = core.timeout(id);
    const s = only(r);
    assert.deepEqual([s.op, s.block], [4, 1], "retransmission " + i);
    assert.equal(timerOf(r).ms, 1000);
  }
  const r = core.timeout(id);
  const e = only(r);
  assert.equal(e.op, 5);
  assert.match(e.msg, /timed out/);
  assert.ok(closes(r, id));
  assert.equal(core.sessions.length, 0);
  assert.equal(svc.active, null, "the upload service is free again");
  assert.equal(svc.lastError.code, "TIMEOUT");
  assert.equal(core.timeout(id).length, 0, "a late timer for a closed session does nothing");
  assert.equal(core.packet(id, data(2, img.subarray(512, 1024)), A, P).length, 0);
  assert.equal(svc.slots().app.valid, false);
  assert.ok(p.nor.erases.length <= 1);
});

test("retransmits the OACK when the first DATA does not come", () => {
  const { core } = setup();
  const acts = core.request(wrq("app.tbi", [["blksize", "1000"]]), A, P);
  const id = opened(acts);
  const again = only(core.timeout(id));
  assert.equal(again.op, 6);
  assert.deepEqual(again.opts, { blksize: "1000" });
});

test("a reply from the client resets the retry count", () => {
  const { core } = setup({ retries: 2 });
  const img = image(20000);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  for (let n = 1; n <= 5; n++) {
    core.timeout(id);
    core.timeout(id);
    run(core, core.packet(id, data(n, img.subarray((n - 1) * 512, n * 512)), A, P));
  }
  assert.equal(core.sessions.length, 1);
});

test("DATA larger than the negotiated block size: ERROR 4 and the session ends", () => {
  const { svc, core } = setup();
  const img = image(20000);
  const id = opened(core.request(wrq("app.tbi", [["blksize", "512"]]), A, P));
  run(core, core.packet(id, data(1, img.subarray(0, 512)), A, P));
  const r = core.packet(id, data(2, img.subarray(512, 512 + 600)), A, P);
  const e = only(r);
  assert.deepEqual([e.op, e.code], [5, 4]);
  assert.match(e.msg, /blksize/);
  assert.ok(closes(r, id));
  assert.equal(core.sessions.length, 0);
  assert.equal(svc.active, null);
});

test("malformed requests get ERROR 4 without crashing: long names, missing NULs, runts", () => {
  const { core, svc, p } = setup();
  const long = wrq("x".repeat(600));
  const cases = [
    long,
    wrq("y".repeat(300)),
    long.subarray(0, 200), // no NUL at all
    new Uint8Array([0, 2, 0x61, 0x62, 0, 0x6f, 0x63]), // mode not terminated
    new Uint8Array([0, 2, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0]), // empty file name
    new Uint8Array([0, 2]),
    new Uint8Array([0, 1, 0x73]),
    new Uint8Array([0]),
    new Uint8Array(0),
    new Uint8Array([0, 3, 0, 1, 9, 9]), // DATA to the listening port
    new Uint8Array([0, 9, 0, 0]),
  ];
  for (const b of cases) {
    const acts = core.request(b, A, P);
    const e = only(acts);
    assert.deepEqual([e.op, e.code], [5, 4], "for " + Buffer.from(b.subarray(0, 12)).toString("hex"));
    assert.ok(!acts.some((x) => x.k === "open"));
  }
  // An ERROR sent to the listening port is never answered.
  assert.equal(core.request(error(0, "x"), A, P).length, 0);
  assert.equal(core.sessions.length, 0);
  assert.equal(svc.active, null);
  assert.equal(p.nor.ops, 0);
  // Still serving.
  assert.equal(only(core.request(wrq("app.tbi"), A, P)).op, 4);
});

test("an ERROR from the client mid-transfer ends the session: upload aborted, nothing sent, nothing else changes", () => {
  const { p, svc, core, before } = setup();
  const img = image(200000);
  const id = opened(core.request(wrq("app.tbi", [["blksize", "1468"]]), A, P));
  for (let n = 1; n <= 40; n++) run(core, core.packet(id, data(n, img.subarray((n - 1) * 1468, n * 1468)), A, P));
  const ops = p.nor.ops;
  const r = core.packet(id, error(0, "user cancelled"), A, P);
  assert.equal(sends(r).length, 0, "no reply to an ERROR");
  assert.ok(closes(r, id));
  assert.equal(core.sessions.length, 0);
  assert.equal(svc.active, null);
  assert.match(svc.lastError.message, /user cancelled/);
  assert.equal(p.nor.ops, ops, "no flash operation after the client's ERROR");
  const v = svc.slots().app;
  assert.equal(v.valid, false);
  assertOutsideSlotUnchanged(assert, p, before);
});

test("a second WRQ from the same client mid-transfer restarts and erases nothing", () => {
  const { p, svc, core } = setup();
  const img = image(300000);
  const id = opened(core.request(wrq("app.tbi", [["blksize", "1468"]]), A, P));
  const blocks = Math.floor(img.length / 1468) + 1;
  const half = 120;
  for (let n = 1; n <= half; n++) run(core, core.packet(id, data(n, img.subarray((n - 1) * 1468, n * 1468)), A, P));
  const erases = p.nor.erases.length;
  const received = svc.active.received;
  for (const opts of [[["blksize", "1468"]], []]) {
    const r = core.request(wrq("app.tbi", opts), A, P);
    assert.equal(r.length, 0, "the duplicate request is ignored");
  }
  assert.equal(p.nor.erases.length, erases);
  assert.equal(svc.active.received, received);
  assert.equal(core.sessions.length, 1);
  for (let n = half + 1; n <= blocks; n++) run(core, core.packet(id, data(n, img.subarray((n - 1) * 1468, n * 1468)), A, P));
  assertImageInSlot(assert, p, img);
});

test("a second client while a write runs gets ERROR 'busy'; the first is undisturbed", () => {
  const { p, core, svc } = setup();
  const img = image(10000);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  run(core, core.packet(id, data(1, img.subarray(0, 512)), A, P));
  for (const [a, port] of [["10.0.0.9", 4000], [A, P + 1]]) {
    const r = core.request(wrq("other.tbi"), a, port);
    const e = only(r);
    assert.equal(e.op, 5);
    assert.ok(e.code === 0 || e.code === 2);
    assert.match(e.msg, /busy/i);
    assert.deepEqual([e.a, e.p, e.s], [a, port, 0]);
    assert.ok(!r.some((x) => x.k === "open"));
  }
  assert.equal(core.sessions.length, 1);
  assert.equal(svc.active.received, 512);
  const blocks = Math.floor(img.length / 512) + 1;
  for (let n = 2; n <= blocks; n++) run(core, core.packet(id, data(n, img.subarray((n - 1) * 512, n * 512)), A, P));
  assertImageInSlot(assert, p, img);
});

test("20 abandoned sessions (one after another, then all at once) are freed; then a normal transfer works", () => {
  const { p, svc, core } = setup({ retries: 2 });
  const img = image(5000);
  for (let i = 0; i < 20; i++) {
    const id = opened(core.request(wrq("app.tbi"), A, 6000 + i));
    if (i % 2) run(core, core.packet(id, data(1, img.subarray(0, 512)), A, 6000 + i));
    let guard = 0;
    while (core.sessions.length && guard++ < 10) core.timeout(id);
    assert.equal(core.sessions.length, 0, "session " + i + " not freed");
    assert.equal(svc.active, null);
  }
  // 20 at once: one gets the upload, the rest are told busy.
  const ids = [];
  for (let i = 0; i < 20; i++) {
    const r = core.request(wrq("app.tbi"), A, 7000 + i);
    if (r.some((x) => x.k === "open")) ids.push(opened(r));
    else assert.match(only(r).msg, /busy/);
  }
  assert.equal(ids.length, 1);
  for (let i = 0; i < 5; i++) core.timeout(ids[0]);
  assert.equal(core.sessions.length, 0);
  const { last } = upload(core, img, { p: 8000 });
  assert.equal(only(last).op, 4);
  assertImageInSlot(assert, p, img);
});

test("final block: the image is checked before the final ACK; dally re-ACKs a retransmitted last block", () => {
  const { p, svc, core } = setup();
  const img = image(1500);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  for (let n = 1; n <= 3; n++) run(core, core.packet(id, data(n, img.subarray((n - 1) * 512, n * 512)), A, P));
  const lastBlock = data(4, img.subarray(1536));
  const r = core.packet(id, lastBlock, A, P);
  assert.deepEqual([only(r).op, only(r).block], [4, 4]);
  assert.equal(timerOf(r).ms, 2000, "dally for twice the timeout");
  assert.ok(!r.some((x) => x.k === "service"));
  assertImageInSlot(assert, p, img);
  assert.equal(svc.active, null, "the service is free while the session dallies");
  const again = only(core.packet(id, lastBlock, A, P));
  assert.deepEqual([again.op, again.block], [4, 4]);
  assert.equal(svc.updates, 1, "not finished twice");
  const end = core.timeout(id);
  assert.equal(sends(end).length, 0);
  assert.ok(closes(end, id));
  assert.equal(core.sessions.length, 0);
});

test("corrupt image: ERROR with the CRC message instead of the final ACK; slot not valid", () => {
  const { p, svc, core } = setup();
  const img = image(5000);
  img[3000] ^= 0x40;
  const { last } = upload(core, img);
  const e = only(last);
  assert.equal(e.op, 5);
  assert.match(e.msg, /CRC/);
  assert.equal(svc.slots().app.valid, false);
  assert.equal(svc.lastError.code, "CRC_MISMATCH");
  assert.equal(core.sessions.length, 0);
});

test("wrong board: ERROR with the image's message at the first block, nothing erased", () => {
  const { p, svc, core, before } = setup();
  const img = image(5000, "nucleo-f429zi");
  const { last, trace } = upload(core, img);
  const e = only(last);
  assert.equal(e.op, 5);
  assert.match(e.msg, /board/);
  assert.equal(sends(trace).filter((s) => s.op === 4).length, 1, "only ACK 0 was sent");
  assert.equal(p.nor.ops, 0);
  assert.deepEqual(p.nor.bytes, before);
  assert.equal(svc.lastError.code, "WRONG_BOARD");
});

test("RRQ 'status': JSON of svc.status(), lock-step with blksize and tsize; duplicate ACKs ignored", () => {
  const { svc, core } = setup();
  // Without options: DATA 1 right away.
  const r = core.request(rrq("status"), A, P);
  const id = opened(r);
  const d = only(r);
  assert.equal(d.op, 3);
  assert.equal(d.block, 1);
  const doc = JSON.parse(Buffer.from(d.payload).toString());
  assert.equal(doc.board, "stm324xg-eval");
  assert.ok(d.payload.length < 512);
  const fin = core.packet(id, ack(1), A, P);
  assert.ok(closes(fin, id));
  assert.equal(core.sessions.length, 0);
  // With blksize 16 and tsize: OACK, then 16-byte blocks.
  const want = JSON.stringify(svc.status()).length;
  const r2 = core.request(rrq("STATUS.JSON", [["blksize", "16"], ["tsize", "0"], ["windowsize", "4"]], "netascii"), A, P + 1);
  const id2 = opened(r2);
  const o = only(r2);
  assert.equal(o.op, 6);
  assert.deepEqual(Object.keys(o.opts).sort(), ["blksize", "tsize"]);
  assert.equal(o.opts.blksize, "16");
  const size = +o.opts.tsize;
  assert.ok(Math.abs(size - want) < 8);
  let got = [];
  let n = 0;
  for (;;) {
    const acts = core.packet(id2, ack(n), A, P + 1);
    if (closes(acts, id2)) break;
    const s = only(acts);
    assert.deepEqual([s.op, s.block], [3, n + 1]);
    assert.ok(s.payload.length <= 16);
    got.push(...s.payload);
    // A duplicate ACK of the previous block is ignored.
    if (n > 0) assert.equal(core.packet(id2, ack(n), A, P + 1).length, 0);
    n++;
    assert.ok(n < 1000);
  }
  assert.equal(got.length, size);
  assert.equal(JSON.parse(Buffer.from(got).toString()).boardId, 1031);
  // Retransmission of the DATA on timeout.
  const id3 = opened(core.request(rrq("status"), A, P + 2));
  const again = only(core.timeout(id3));
  assert.deepEqual([again.op, again.block], [3, 1]);
});

test("RRQ for any other file: ERROR 1 'file not found'", () => {
  const { core } = setup();
  for (const name of ["app.tbi", "../etc/passwd", "status.txt"]) {
    const e = only(core.request(rrq(name), A, P));
    assert.deepEqual([e.op, e.code], [5, 1]);
    assert.match(e.msg, /file not found/);
  }
  assert.equal(core.sessions.length, 0);
});

test("status can be read while an upload runs", () => {
  const { core } = setup();
  const img = image(5000);
  const id = opened(core.request(wrq("app.tbi"), A, P));
  run(core, core.packet(id, data(1, img.subarray(0, 512)), A, P));
  const d = only(core.request(rrq("status"), "10.0.0.7", 1234));
  const doc = JSON.parse(Buffer.from(d.payload).toString());
  assert.equal(doc.state, "receiving");
  assert.equal(doc.transfer.received, 512);
});

test("at most MAX_SESSIONS live transfers; dallying sessions do not count", () => {
  const { core } = setup();
  const img = image(600);
  // A finished upload dallies.
  const { last } = upload(core, img, { p: 3000 });
  assert.equal(only(last).op, 4);
  assert.equal(core.sessions.length, 1);
  for (let i = 0; i < tftp.MAX_SESSIONS; i++) assert.equal(only(core.request(rrq("status", [["blksize", "8"]]), A, 4000 + i)).op, 6);
  const e = only(core.request(rrq("status"), A, 5000));
  assert.deepEqual([e.op, e.code], [5, 0]);
  assert.match(e.msg, /busy/);
  assert.equal(core.sessions.length, tftp.MAX_SESSIONS + 1);
});

test("shutdown aborts the running upload and closes every socket", () => {
  const { svc, core } = setup();
  const id = opened(core.request(wrq("app.tbi"), A, P));
  const id2 = opened(core.request(rrq("status", [["blksize", "8"]]), A, P + 1));
  const r = core.shutdown();
  assert.ok(closes(r, id) && closes(r, id2) && closes(r, 0));
  assert.equal(svc.active, null);
  assert.equal(core.sessions.length, 0);
});

// ---- The binding (startTftp) over a fake dgram and fake timers ----

function fakePlatform(p) {
  const sockets = [];
  const timers = new Map();
  let nextTimer = 1;
  const fp = {
    ...p,
    dgram: {
      createSocket(type) {
        assert.equal(type, "udp4");
        const s = {
          handlers: {}, sent: [], closed: false, bound: null,
          bind(port, address) { s.bound = { port, address }; },
          on(ev, fn) { s.handlers[ev] = fn; },
          send(buf, off, len, port, addr) { assert.ok(!s.closed, "send on a closed socket"); s.sent.push({ b: buf.slice(off, off + len), port, addr }); },
          close() { s.closed = true; },
          deliver(b, address, port) { s.handlers.message(Buffer.from(b), { address, port }); },
        };
        sockets.push(s);
        return s;
      },
    },
    setTimeout(fn, ms) { const id = nextTimer++; timers.set(id, { fn, ms }); return id; },
    clearTimeout(id) { timers.delete(id); },
  };
  /** Run the timers due within ms (all by default), shortest first. */
  const fire = (ms = Infinity) => {
    const list = [...timers.entries()].filter(([, t]) => t.ms <= ms).sort((a, b) => a[1].ms - b[1].ms);
    for (const [id] of list) timers.delete(id);
    for (const [, t] of list) t.fn();
  };
  return { fp, sockets, timers, fire };
}

test("binding: a new socket per transfer bound to the listening address; ACK before the erase; timers; close", () => {
  const { p, svc } = setup();
  const { fp, sockets, timers, fire } = fakePlatform(p);
  const h = startTftp(fp, svc, { port: 6969, address: "127.0.0.1", timeoutMs: 700, retries: 1 });
  assert.equal(sockets.length, 1);
  assert.deepEqual(sockets[0].bound, { port: 6969, address: "127.0.0.1" });
  sockets[0].deliver(wrq("app.tbi", [["blksize", "1468"]]), A, P);
  assert.equal(sockets.length, 2);
  const t = sockets[1];
  assert.deepEqual(t.bound, { port: 0, address: "127.0.0.1" });
  assert.equal(parse(t.sent[0].b).op, 6);
  assert.deepEqual([t.sent[0].addr, t.sent[0].port], [A, P]);
  assert.deepEqual([...timers.values()].map((x) => x.ms), [700]);
  // The erase happens after the ACK was handed to the socket.
  const img = image(100000);
  let erasesAtAck = -1;
  const send = t.send;
  t.send = (...args) => {
    erasesAtAck = p.nor.erases.length;
    send(...args);
  };
  t.deliver(data(1, img.subarray(0, 1468)), A, P);
  assert.equal(erasesAtAck, 0);
  assert.equal(p.nor.erases.length, 0, "the erase waits for a 0 ms timer");
  assert.deepEqual([...timers.values()].map((x) => x.ms).sort(), [0, 700]);
  fire(0);
  assert.equal(p.nor.erases.length, 1, "the first sector was erased after the ACK");
  assert.deepEqual([...timers.values()].map((x) => x.ms), [700], "the retransmission timer is re-armed after the erase");
  // A stranger on the transfer socket.
  t.deliver(data(2, img.subarray(1468, 2936)), A, P + 5);
  assert.deepEqual(parse(t.sent.at(-1).b), { op: 5, code: 5, msg: "unknown transfer ID", nul: true });
  // Timeout: retransmit once, then give up with an ERROR and close (deferred).
  fire();
  assert.deepEqual(parse(t.sent.at(-1).b), { op: 4, block: 1 });
  fire();
  assert.equal(parse(t.sent.at(-1).b).op, 5);
  assert.equal(svc.active, null);
  assert.equal(t.closed, false, "closed only after the ERROR had a chance to leave");
  assert.deepEqual([...timers.values()].map((x) => x.ms), [20]);
  fire();
  assert.equal(t.closed, true);
  // A new transfer gets a new socket; close() shuts everything.
  sockets[0].deliver(rrq("status"), A, P + 1);
  assert.equal(sockets.length, 3);
  assert.equal(parse(sockets[2].sent[0].b).op, 3);
  h.close();
  fire();
  assert.ok(sockets.every((s) => s.closed));
});

// ---- receive offload (core.rx / core.batch): what the native runtime hands back in batches ----

test("offload: rx() offers a write session only past the header and at a window boundary; batch() takes the blocks like packets", () => {
  const { p, core, before } = setup();
  const img = image(30000);
  const bs = 1024;
  const id = opened(run(core, core.request(wrq("app.tbi", [["blksize", "1024"], ["windowsize", "2"]]), A, P)));
  assert.equal(core.rx(id), null, "nothing received yet");
  const blk = (n) => img.subarray((n - 1) * bs, n * bs);
  run(core, core.packet(id, data(1, blk(1)), A, P));
  assert.equal(core.rx(id), null, "inside a window");
  const w = run(core, core.packet(id, data(2, blk(2)), A, P));
  assert.deepEqual(sends(w).map((x) => [x.op, x.block]), [[4, 2]]);
  const s = core.rx(id);
  assert.ok(s && s.blk === 2 && s.bs === bs && s.win === 2 && s.a === A && s.p === P);
  // Blocks 3..7 taken natively, ACKed up to 6 (block 7 opens a window).
  const b = new Uint8Array(5 * bs);
  for (let n = 3; n <= 7; n++) b.set(blk(n), (n - 3) * bs);
  const acts = core.batch(id, b, 7, 6);
  assert.deepEqual(acts.map((x) => x.k), ["timer"], "no packet: the platform ACKed");
  assert.equal(core.rx(id), null, "the batch ended inside a window");
  // The window's second block comes through the core: ACK 8, then the offload may start again.
  assert.deepEqual(sends(run(core, core.packet(id, data(8, blk(8)), A, P))).map((x) => [x.op, x.block]), [[4, 8]]);
  assert.ok(core.rx(id));
  // A retransmission repeats the last ACK the platform sent when the batch ends on a boundary.
  core.batch(id, img.subarray(8 * bs, 10 * bs), 10, 10);
  assert.deepEqual(sends(core.timeout(id)).map((x) => [x.op, x.block]), [[4, 10]]);
  const last = rest(core, id, img, 11, bs);
  assert.ok(sends(last).some((x) => x.op === 4));
  assertImageInSlot(assert, p, img);
  assertOutsideSlotUnchanged(assert, p, before);
});

test("offload: a batch the writer refuses ends the session with an ERROR", () => {
  const { core } = setup();
  const img = image(30000);
  const id = opened(run(core, core.request(wrq("app.tbi", [["blksize", "1024"], ["tsize", String(img.length)]]), A, P)));
  run(core, core.packet(id, data(1, img.subarray(0, 1024)), A, P));
  // More bytes than announced: TOO_LONG from push().
  const acts = core.batch(id, new Uint8Array(40 * 1024), 41, 41);
  const e = only(acts);
  assert.equal(e.op, 5);
  assert.ok(closes(acts, id));
  assert.equal(core.rx(id), null);
});
