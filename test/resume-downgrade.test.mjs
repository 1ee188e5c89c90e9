// Resume after an interrupted upload (HTTP Content-Range from the offset the status reports; a repeated
// TFTP upload skips the sectors already verified, never erasing them again) and the downgrade rule,
// against the in-process servers (node) and the native simulated board, and through `typeboot upload`.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { ROOT, ImageWriter, createHostPlatform, crc32, packImage, fakeApp, header } from "./helpers/host.mjs";
import { startTarget, until, KINDS, DEFAULT_CREDS } from "./helpers/target.mjs";

const BOARD = "stm324xg-eval";
const SECTOR = 128 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tb-resume-"));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
const basic = "Basic " + Buffer.from(`${DEFAULT_CREDS.user}:${DEFAULT_CREDS.password}`).toString("base64");
const img = (version, size, seed) => packImage({ board: BOARD, version, payload: fakeApp(size, seed) });
const etagOf = (b) => Buffer.from(b).readUInt32LE(0x3c).toString(16).padStart(8, "0");
let files = 0;
const file = (b) => {
  const f = path.join(dir, `f${files++}.tbi`);
  fs.writeFileSync(f, b);
  return f;
};

/** A raw HTTP PUT whose connection dies after `bytes` of the body. */
function putCut(port, image, bytes) {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write(`PUT /api/firmware HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic}\r\nContent-Length: ${image.length}\r\n\r\n`);
      s.write(Buffer.from(image.subarray(0, bytes)), () => setTimeout(() => (s.destroy(), resolve()), 300));
    });
    s.on("error", () => resolve());
  });
}

function run(cmd, args, timeout = 30000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, killSignal: "SIGKILL", encoding: "latin1", env: { ...process.env, TYPEBOOT_USER: "", TYPEBOOT_PASSWORD: "" } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}
const cli = (...args) => run(process.execPath, [path.join(ROOT, "bin", "typeboot.js"), ...args], 60000);

function inSlot(t, image) {
  const s = t.snapshot();
  const off = t.info.app.addr - t.base;
  return Buffer.compare(Buffer.from(s.subarray(off, off + 0x100)), Buffer.from(image.subarray(0, 0x100))) === 0 &&
    Buffer.compare(Buffer.from(s.subarray(off + 512, off + image.length)), Buffer.from(image.subarray(512))) === 0;
}

for (const kind of KINDS) {
  test(`${kind}: an HTTP upload cut after 1.5 sectors continues with Content-Range from the offset the status reports`, { timeout: 60000 }, async () => {
    const t = await startTarget(kind, { board: BOARD });
    try {
      const a = img("1.0.0", 300000, 1);
      await putCut(t.port, a, SECTOR + 60000);
      const st = await until(async () => {
        const s = await t.status();
        return s.state === "update-mode" && s.resume ? s : null;
      }, 10000, "the aborted upload is over and its progress reported");
      assert.deepEqual(st.resume, { offset: SECTOR, total: a.length, etag: etagOf(a) });
      if (t.nor) t.nor.erases.length = 0;
      // Not the same image (If-Match) or past what is verified: refused, nothing written.
      let r = await run("curl", ["-sS", "-u", "user:stm32", "-X", "PUT", "-H", `Content-Range: bytes ${SECTOR}-${a.length - 1}/${a.length}`, "-H", 'If-Match: "12345678"', "--data-binary", `@${file(a.subarray(SECTOR))}`, "-w", "\n%{http_code}", t.url + "/api/firmware"]);
      assert.match(r.stdout, /"code":"RESUME".*\n412$/s);
      r = await run("curl", ["-sS", "-u", "user:stm32", "-X", "PUT", "-H", `Content-Range: bytes ${SECTOR + 4096}-${a.length - 1}/${a.length}`, "-H", `If-Match: "${etagOf(a)}"`, "--data-binary", `@${file(a.subarray(SECTOR + 4096))}`, "-w", "\n%{http_code}", t.url + "/api/firmware"]);
      assert.match(r.stdout, /can resume 0x[0-9a-f]{8} at 131072.*\n412$/s);
      // A Content-Range that is not "bytes OFFSET-LAST/TOTAL": 400 naming the header, flash untouched.
      const before = t.snapshot();
      for (const bad of [`bytes=${SECTOR}-${a.length - 1}/${a.length}`, `bytes ${SECTOR}-/${a.length}`, "bytes 99999999999999999999x"]) {
        r = await run("curl", ["-sS", "-u", "user:stm32", "-X", "PUT", "-H", `Content-Range: ${bad}`, "-H", `If-Match: "${etagOf(a)}"`, "--data-binary", `@${file(a.subarray(SECTOR))}`, "-w", "\n%{http_code}", t.url + "/api/firmware"]);
        assert.match(r.stdout, /"code":"BAD_REQUEST".*Content-Range must be bytes OFFSET-LAST\/TOTAL.*\n400$/s, bad);
      }
      assert.deepEqual(t.snapshot(), before, "flash unchanged by the refused requests");
      assert.deepEqual((await t.status()).resume, { offset: SECTOR, total: a.length, etag: etagOf(a) });
      // The rest, from the offset.
      r = await run("curl", ["-sS", "-u", "user:stm32", "-X", "PUT", "-H", `Content-Range: bytes ${SECTOR}-${a.length - 1}/${a.length}`, "-H", `If-Match: "${etagOf(a)}"`, "--data-binary", `@${file(a.subarray(SECTOR))}`, "-w", "\n%{http_code}", t.url + "/api/firmware"]);
      assert.match(r.stdout, /"ok":true.*\n200$/s);
      assert.ok(inSlot(t, a), "the image in flash is byte-identical");
      const s = await t.status();
      assert.equal(s.app.valid, true);
      assert.equal(s.resume, null);
      if (t.nor) assert.ok(!t.nor.erases.includes(t.info.app.addr), "the verified first sector was not erased again");
    } finally {
      await t.close();
    }
  });

  test(`${kind}: a repeated TFTP upload of the same image skips the verified sectors; a different image starts afresh; the downgrade rule`, { timeout: 60000 }, async () => {
    const t = await startTarget(kind, { board: BOARD });
    try {
      const a = img("2.0.0", 300000, 2);
      await putCut(t.port, a, 2 * SECTOR + 1000);
      await until(async () => ((await t.status()).resume || {}).offset === 2 * SECTOR, 10000, "two sectors verified");
      if (t.nor) t.nor.erases.length = 0;
      let r = await run("curl", ["-sS", "--tftp-blksize", "1468", "-T", file(a), `tftp://127.0.0.1:${t.tftpPort}/app.tbi`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(inSlot(t, a));
      if (t.nor) assert.deepEqual(t.nor.erases, [t.info.app.addr + 2 * SECTOR], "only the sector not yet verified is erased");
      // 2.0.0 is confirmed now (direct mode): 1.0.0 is refused before anything is erased, by both transports.
      const old = img("1.0.0", 50000, 3);
      const before = Buffer.from(t.snapshot());
      r = await run("curl", ["-sS", "-u", "user:stm32", "-T", file(old), "-w", "\n%{http_code}", t.url + "/api/firmware"]);
      assert.match(r.stdout, /"code":"DOWNGRADE","message":"1\.0\.0 is older than the confirmed 2\.0\.0 \(--allow-downgrade\)".*\n422$/s);
      r = await run("curl", ["-sS", "-v", "-T", file(old), `tftp://127.0.0.1:${t.tftpPort}/app.tbi`]); // -v: curl prints the TFTP error text only there
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /older than the confirmed 2\.0\.0/);
      assert.ok(Buffer.compare(before, Buffer.from(t.snapshot())) === 0, "nothing changed in flash");
      const s = await t.status();
      assert.equal(s.lastError.code, "DOWNGRADE");
      assert.equal(s.app.version, "2.0.0");
      // Allowed explicitly: HTTP query, TFTP file name suffix.
      r = await run("curl", ["-sS", "--tftp-blksize", "1468", "-T", file(old), `tftp://127.0.0.1:${t.tftpPort}/app.tbi%3Fallow-downgrade`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(inSlot(t, old));
      const older = img("0.9.0", 40000, 4);
      r = await run("curl", ["-sS", "-u", "user:stm32", "-T", file(older), "-w", "\n%{http_code}", t.url + "/api/firmware?allow-downgrade"]);
      assert.match(r.stdout, /"ok":true.*\n200$/s);
      assert.ok(inSlot(t, older));
    } finally {
      await t.close();
    }
  });
}

test("typeboot upload: --allow-downgrade over TFTP and HTTP, the refusal printed clearly; HTTP resumes an interrupted upload", { timeout: 120000 }, async () => {
  const t = await startTarget("native", { board: BOARD });
  const to = ["--to", `127.0.0.1:${t.port}`, "--tftp-port", String(t.tftpPort)];
  const creds = ["--user", DEFAULT_CREDS.user, "--password", DEFAULT_CREDS.password];
  try {
    const v2 = file(img("2.0.0", 60000, 5));
    let r = await cli("upload", v2, ...to);
    assert.equal(r.code, 0, r.stderr);
    const v1 = file(img("1.0.0", 60000, 6));
    for (const via of [[], ["--via", "http", ...creds]]) {
      r = await cli("upload", v1, ...to, ...via);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /refused the upload: 1\.0\.0 is older than the confirmed 2\.0\.0/);
      assert.match(r.stderr, /add --allow-downgrade to install this older one anyway/);
    }
    r = await cli("upload", v1, ...to, "--allow-downgrade");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /board reports version 1\.0\.0/);
    r = await cli("upload", file(img("0.5.0", 30000, 7)), ...to, "--via", "http", ...creds, "--allow-downgrade");
    assert.equal(r.code, 0, r.stderr);
    // Resume: an upload of 3.0.0 dies after 1.5 sectors; typeboot upload --via http sends only the rest.
    const v3 = img("3.0.0", 300000, 8);
    await putCut(t.port, v3, SECTOR + 70000);
    await until(async () => ((await t.status()).resume || {}).offset === SECTOR, 10000, "progress reported");
    r = await cli("upload", file(v3), ...to, "--via", "http", ...creds);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /HTTP, resumed at byte 131072/);
    assert.match(r.stdout, /board reports version 3\.0\.0/);
    assert.ok(inSlot(t, v3));
  } finally {
    await t.close();
  }
});

test("writer: resume needs the same image and untouched status words; a torn one means starting afresh", () => {
  const p = createHostPlatform({ board: BOARD, log: () => {} });
  const info = p.layout.info;
  const a = img("1.0.0", 300000, 9);
  const feed = (image, upto) => {
    const w = new ImageWriter({ flash: p.flash, crc32 }, info, info.app);
    for (let o = 0; o < upto; o += 1468) {
      assert.equal(w.push(image.subarray(o, Math.min(upto, o + 1468))), null);
      assert.equal(w.service(), null);
    }
    return w;
  };
  feed(a, SECTOR + 5000);
  // A different image: everything is erased again, from the first sector.
  p.nor.erases.length = 0;
  const b = img("1.0.1", 300000, 10);
  feed(b, SECTOR + 5000);
  assert.equal(p.nor.erases[0], info.app.addr);
  // The same image again: the first sector is skipped.
  p.nor.erases.length = 0;
  let w = feed(b, b.length);
  assert.equal(w.finish(true), null);
  assert.deepEqual(p.nor.erases, [info.app.addr + SECTOR, info.app.addr + 2 * SECTOR]);
  // A torn status word (here: a valid mark cut short) forbids resuming.
  const c = img("1.0.2", 300000, 11);
  feed(c, SECTOR + 5000);
  p.flash.write(header.le32(0xfffff0ff), info.app.addr + header.STATUS_VALID);
  p.nor.erases.length = 0;
  w = feed(c, c.length);
  assert.equal(w.finish(true), null, "the same image uploads fine, from the start");
  assert.equal(p.nor.erases[0], info.app.addr);
});
