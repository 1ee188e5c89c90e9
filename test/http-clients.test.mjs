// The HTTP server (src/net/http.ts) on 127.0.0.1 driven by real curl and by raw sockets for the
// byte-level cases, against both targets of helpers/target.mjs: "node" (startHttp under Node over
// the NOR model) and "native" (the C runtime, build/host-runtime/typeboot-sim, its flash a file).
// Each test runs once per target on a fresh board. After each upload: the slot holds the image,
// marked valid, and flash outside the slot is unchanged; rejections change nothing outside the
// slot, and a wrong-board image changes nothing at all. What the update service is doing is read
// from GET /api/status, as any client sees it.
//
// Skipped for the native target (no equivalent over the wire):
//   "sessions expire" needs a 300 ms session lifetime, an option of startHttp that typeboot-sim
//   does not have (the bundle's sessions last 30 minutes).
// Everything else runs against both; the reboot test checks the native board's actual reset (its
// console, the sessions gone, update mode again) where the in-process one records Boot.reset().
import test from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  startBoard, image, fakeApp, packImage, rawClient, request, multipartBody, login, basic, run, sleep, installed, sameOutside, cat, bytes, BOARD, KINDS,
  until,
} from "./helpers/http-util.mjs";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-http-"));
process.on("exit", () => fs.rmSync(tmp, { recursive: true, force: true }));
let files = 0;
function file(data, name = `img${files++}.tbi`) {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, data);
  return f;
}

/** curl with the response body and, on the last line, the status code. */
async function curl(args) {
  const r = await run("curl", ["-sS", "--max-time", "20", "-w", "\n%{http_code}", ...args]);
  const i = r.stdout.lastIndexOf("\n");
  const body = r.stdout.slice(0, i);
  let json;
  try {
    json = JSON.parse(body);
  } catch {}
  return { status: +r.stdout.slice(i + 1), body, json, code: r.code, stderr: r.stderr };
}

/**
 * One test per target (`node: name`, `native: name`), each on a fresh board started with the
 * options o (o.nativeSkip: why the native target cannot run it), closed when the test ends.
 */
function both(name, o, fn) {
  const { nativeSkip, ...opts } = o;
  for (const kind of KINDS) {
    test(`${kind}: ${name}`, { timeout: 60000, skip: kind === "native" && nativeSkip }, async () => {
      const b = await startBoard({ kind, ...opts });
      try {
        await fn(b, kind);
      } finally {
        await b.close();
      }
    });
  }
}

/** The status document says no upload is open. */
const idle = async (b) => {
  const s = await b.status();
  return s.state === "update-mode" && s.transfer === null;
};
/** The status document shows an upload with more than n bytes received. */
const receivedMore = (b, n) => async () => {
  const s = await b.status();
  return s.transfer && s.transfer.received > n;
};

function assertInstalled(b, img, before, version) {
  const st = installed(b, img);
  assert.ok(st.same, "the slot holds the image");
  assert.ok(st.valid, "marked valid: " + st.problem);
  assert.equal(st.version, version);
  assert.ok(sameOutside(b, before, b.snapshot(), b.slot), "flash outside the slot is unchanged");
}


both("curl: log in with a cookie jar, then upload the form with -F", {}, async (b, kind) => {
  const jar = path.join(tmp, "jar" + files++);
  const img = image("1.2.3", 100000);
  const before = b.snapshot();
  const lg = await run("curl", ["-sS", "-c", jar, "-D", "-", "-o", "/dev/null", "-d", "user=user", "-d", "password=stm32", b.url + "/login"]);
  assert.match(lg.stdout, /^HTTP\/1\.1 303/);
  assert.match(lg.stdout, /\r\nLocation: \/upload\r\n/i);
  assert.match(lg.stdout, /Set-Cookie: tb_session=[0-9a-f]{32}; HttpOnly; SameSite=Strict; Path=\//);
  const page = await curl(["-b", jar, b.url + "/upload"]);
  assert.equal(page.status, 200);
  assert.match(page.body, /<progress/);
  const r = await curl(["-b", jar, "-F", "note=hello", "-F", `file=@${file(img, "app.tbi")}`, "-F", "after=1", b.url + "/upload"]);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(r.json, { ok: true, version: "1.2.3", bytes: img.length, rebooting: false });
  assertInstalled(b, img, before, "1.2.3");
  const s = await curl([b.url + "/api/status"]);
  assert.equal(s.status, 200);
  assert.equal(s.json.board, BOARD);
  assert.equal(s.json.app.version, "1.2.3");
  assert.equal(s.json.app.valid, true);
  assert.equal(s.json.lastUpdate.version, "1.2.3");
  assert.equal(s.json.lastUpdate.transport, "http");
});

both("curl: -u user:pass -T to /api/firmware (PUT), and --data-binary POST", {}, async (b, kind) => {
  const img = image("2.0.1", 300000, 3);
  const before = b.snapshot();
  const r = await curl(["-u", "user:stm32", "-T", file(img), b.url + "/api/firmware"]);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.ok, true);
  assert.equal(r.json.version, "2.0.1");
  assert.equal(r.json.bytes, img.length);
  assertInstalled(b, img, before, "2.0.1");
  const img2 = image("2.0.2", 5000, 4);
  const r2 = await curl(["-u", "user:stm32", "--data-binary", `@${file(img2)}`, "-H", "Content-Type: application/octet-stream", b.url + "/api/firmware"]);
  assert.equal(r2.status, 200, r2.body);
  assert.equal(r2.json.version, "2.0.2");
  assertInstalled(b, img2, before, "2.0.2");
});

both("curl: a cookie also works for /api/firmware; no or wrong credentials get 401 and change nothing", {}, async (b, kind) => {
  const img = image("1.0.0", 20000);
  const f = file(img);
  const before = b.snapshot();
  let r = await curl(["-T", f, b.url + "/api/firmware"]);
  assert.equal(r.status, 401);
  assert.equal(r.json.code, "UNAUTHORIZED");
  r = await curl(["-u", "user:wrong", "-T", f, b.url + "/api/firmware"]);
  assert.equal(r.status, 401);
  r = await curl(["-u", "admin:stm32", "-F", `file=@${f}`, b.url + "/upload"]);
  assert.equal(r.status, 401);
  r = await curl(["-X", "POST", b.url + "/api/reboot"]);
  assert.equal(r.status, 401);
  assert.deepEqual(b.snapshot(), before, "nothing written");
  const cookie = await login(b.port);
  r = await curl(["-H", `Cookie: other=1; ${cookie}`, "-T", f, b.url + "/api/firmware"]);
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "1.0.0");
});

both("login page, wrong password, logins per session (never per connection or global)", {}, async (b, kind) => {
  const page = await curl([b.url + "/"]);
  assert.equal(page.status, 200);
  assert.match(page.body, /<form method="post" action="\/login">/);
  assert.doesNotMatch(page.body, /Wrong/);
  const bad = await login(b.port, "user", "nope");
  assert.equal(bad.status, 401);
  assert.match(bad.body, /Wrong user name or password/);
  assert.equal(bad.headers["set-cookie"], undefined);
  assert.equal((await login(b.port, "", "")).status, 401);
  // Upload page needs a session: a fresh connection without a cookie is sent to the login page...
  const noCookie = `GET /upload HTTP/1.1\r\nHost: x\r\n\r\n`;
  let r = await request(b.port, noCookie);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, "/");
  // ...even right after someone else logged in (ST's IAP kept one global login flag).
  const a = await login(b.port);
  const c = await login(b.port);
  assert.notEqual(a, c, "every login is its own session");
  r = await request(b.port, noCookie);
  assert.equal(r.status, 303);
  // The same connection: a request without the cookie is not logged in because an earlier one was.
  const k = await rawClient(b.port);
  await k.write(`GET /upload HTTP/1.1\r\nCookie: ${a}\r\n\r\nGET /upload HTTP/1.1\r\n\r\nGET /upload HTTP/1.1\r\nCookie: tb_session=0123456789abcdef0123456789abcdef\r\n\r\n`);
  const rs = await k.responses(3);
  k.destroy();
  assert.deepEqual(rs.map((x) => x.status), [200, 303, 303]);
  // Both sessions work on any connection.
  for (const ck of [a, c]) assert.equal((await request(b.port, `GET /upload HTTP/1.1\r\nCookie: ${ck}\r\n\r\n`)).status, 200);
});

both("sessions expire", { sessionTtlMs: 300, nativeSkip: "typeboot-sim has no session-lifetime option (sessions last 30 minutes)" }, async (b, kind) => {
  const a = await login(b.port);
  assert.equal((await request(b.port, `GET /upload HTTP/1.1\r\nCookie: ${a}\r\n\r\n`)).status, 200);
  await sleep(500);
  assert.equal((await request(b.port, `GET /upload HTTP/1.1\r\nCookie: ${a}\r\n\r\n`)).status, 303);
});

both("no credentials configured: the login page says logins are impossible", { credentials: undefined }, async (b, kind) => {
  const page = await curl([b.url + "/"]);
  assert.equal(page.status, 200);
  assert.match(page.body, /No credentials are set: logins are impossible/);
  const r = await login(b.port, "user", "stm32");
  assert.equal(r.status, 401);
  assert.match(r.body, /logins are impossible/);
  const up = await curl(["-u", "user:stm32", "-T", file(image()), b.url + "/api/firmware"]);
  assert.equal(up.status, 401);
});

/** A raw upload request: PUT /api/firmware or a multipart POST /upload with the given headers. */
function rawPut(img, headers = [`Authorization: ${basic()}`]) {
  return cat(`PUT /api/firmware HTTP/1.1\r\nHost: x\r\n${headers.join("\r\n")}\r\nContent-Length: ${img.length}\r\n\r\n`, img);
}

function rawForm(cookie, img, { boundary = "----formdata-x7", partType = "application/octet-stream", clFirst = false, extra = [] } = {}) {
  const body = multipartBody(boundary, [
    { headers: { "Content-Disposition": 'form-data; name="comment"' }, body: "GET / HTTP/1.1\r\n\r\n" },
    { headers: { "Content-Type": partType, "Content-Disposition": 'form-data; name="file"; filename="app.tbi"' }, body: img },
  ]);
  const h = [`Cookie: ${cookie}`, `Content-Type: multipart/form-data; boundary=${boundary}`, "Host: x", "Accept: */*", ...extra];
  const cl = `Content-Length: ${body.length}`;
  const headers = clFirst ? [cl, ...h] : [...h, cl];
  return cat(`POST /upload HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`, body);
}

both("raw: headers in any order, Content-Length first or last, head and body in one segment, text/plain part", {}, async (b, kind) => {
  const cookie = await login(b.port);
  const before = b.snapshot();
  let v = 0;
  for (const opts of [{ clFirst: true }, { clFirst: false }, { partType: "text/plain" }, { partType: "text/plain; charset=utf-8", extra: ["X-Later: 1"] }]) {
    const version = `3.0.${v++}`;
    const img = image(version, 30000 + v * 999, v);
    const r = await request(b.port, rawForm(cookie, img, opts));
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.version, version);
    assertInstalled(b, img, before, version);
  }
  // The raw PUT with Content-Length first and last.
  const img = image("3.1.0", 12345, 9);
  const r = await request(b.port, cat(`PUT /api/firmware HTTP/1.1\r\nContent-Length: ${img.length}\r\nAuthorization: ${basic()}\r\nHost: x\r\n\r\n`, img));
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "3.1.0");
});

both("raw: the boundary and CRLFs split across TCP segments at every kind of position", {}, async (b, kind) => {
  const cookie = await login(b.port);
  const before = b.snapshot();
  const img = image("4.0.0", 8000, 5);
  const req = rawForm(cookie, img);
  const bodyStart = req.indexOf("\r\n\r\n") + 4;
  const cuts = [1, 5, bodyStart - 2, bodyStart, bodyStart + 3, bodyStart + 20, req.length - 10 - img.length, req.length - 50, req.length - 30, req.length - 25, req.length - 3, req.length - 1];
  const k = await rawClient(b.port);
  let last = 0;
  for (const c of cuts.sort((x, y) => x - y)) {
    await k.write(req.subarray(last, c));
    last = c;
    await sleep(15);
  }
  await k.write(req.subarray(last));
  const [r] = await k.responses(1);
  k.destroy();
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "4.0.0");
});

both("raw: an image whose bytes contain 'GET / HTTP' and CRLFs is written exactly", {}, async (b, kind) => {
  const payload = fakeApp(60000, 11);
  const evil = bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\nPOST /upload HTTP/1.1\r\n--\r\n------formdata-x\r\n");
  for (const at of [100, 4096, 30000, 59000]) payload.set(evil, at);
  const img = packImage({ board: BOARD, version: "5.0.0", payload });
  const before = b.snapshot();
  let r = await request(b.port, rawPut(img));
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "5.0.0");
  const img2 = packImage({ board: BOARD, version: "5.0.1", payload });
  r = await request(b.port, rawForm(await login(b.port), img2));
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img2, before, "5.0.1");
  r = await curl(["-u", "user:stm32", "-F", `file=@${file(img)}`, b.url + "/upload?allow-downgrade"]); // 5.0.0 after 5.0.1
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "5.0.0");
});

both("raw: 7-digit and over-long Content-Lengths are refused with a readable 413, then uploads still work", {}, async (b, kind) => {
  const before = b.snapshot();
  const cookie = await login(b.port);
  for (const cl of ["9999999", "1048576", "99999999999999999999999999"]) {
    for (const req of [
      `PUT /api/firmware HTTP/1.1\r\nAuthorization: ${basic()}\r\nContent-Length: ${cl}\r\n\r\n`,
      `POST /upload HTTP/1.1\r\nCookie: ${cookie}\r\nContent-Length: ${cl}\r\nContent-Type: multipart/form-data; boundary=x\r\n\r\n--x\r\n`,
      `POST /login HTTP/1.1\r\nContent-Length: ${cl}\r\n\r\nuser=`,
    ]) {
      const k = await rawClient(b.port);
      await k.write(req);
      await k.write(fakeApp(20000));
      const [r] = await k.responses(1);
      assert.equal(r.status, 413, req);
      assert.equal(r.json.ok, false);
      assert.equal(r.json.code, "TOO_LARGE");
      assert.match(r.json.message, /limit/);
      assert.equal(r.headers.connection, "close");
      await k.waitClosed(4000);
    }
  }
  let r = await request(b.port, `PUT /api/firmware HTTP/1.1\r\nAuthorization: ${basic()}\r\nContent-Length: 12x\r\n\r\n`);
  assert.equal(r.status, 400);
  assert.match(r.json.message, /Content-Length/);
  assert.deepEqual(b.snapshot(), before, "nothing written");
  assert.ok(await idle(b), "no upload open");
  const img = image("6.0.0", 50000);
  r = await request(b.port, rawPut(img));
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "6.0.0");
});

both("raw: oversized headers get 431, chunked uploads 411, a missing Content-Length 411", {}, async (b, kind) => {
  let r = await request(b.port, `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(5000)}\r\n\r\n`);
  assert.equal(r.status, 431);
  const k = await rawClient(b.port);
  await k.write(`GET / HTTP/1.1\r\n`);
  for (let i = 0; i < 60; i++) await k.write(`X-Slow-${i}: ${"b".repeat(100)}\r\n`);
  const [r2] = await k.responses(1);
  assert.equal(r2.status, 431);
  await k.waitClosed();
  r = await request(b.port, `PUT /api/firmware HTTP/1.1\r\nAuthorization: ${basic()}\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n`);
  assert.equal(r.status, 411);
  r = await request(b.port, `PUT /api/firmware HTTP/1.1\r\nAuthorization: ${basic()}\r\n\r\n`);
  assert.equal(r.status, 411);
  assert.ok(await idle(b), "no upload open");
});

both("raw: 100 requests for unknown paths (keep-alive and separate connections), then a normal upload", {}, async (b, kind) => {
  const k = await rawClient(b.port);
  let all = "";
  for (let i = 0; i < 100; i++) all += `GET /nope/${i}?x=${"y".repeat(i)} HTTP/1.1\r\nHost: x\r\n\r\n`;
  await k.write(all);
  const rs = await k.responses(100);
  k.destroy();
  assert.equal(rs.length, 100);
  for (const r of rs) {
    assert.equal(r.status, 404);
    assert.equal(r.json.code, "NOT_FOUND");
  }
  for (let i = 0; i < 100; i++) {
    const r = await request(b.port, `POST /cgi-bin/${i} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello`);
    assert.equal(r.status, 404);
  }
  assert.ok(await idle(b), "the board is alive and idle");
  const before = b.snapshot();
  const img = image("7.0.0", 70000);
  const r = await curl(["-u", "user:stm32", "-T", file(img), b.url + "/api/firmware"]);
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "7.0.0");
});

both("raw: an upload aborted half-way frees the lock; the retry works", {}, async (b, kind) => {
  const before = b.snapshot();
  const img = image("8.0.0", 200000, 8);
  for (const req of [rawPut(img), rawForm(await login(b.port), img)]) {
    const k = await rawClient(b.port);
    await k.write(req.subarray(0, req.length >> 1));
    await until(receivedMore(b, 50000), 5000, "50000 bytes received");
    k.destroy();
    await until(() => idle(b), 5000, "the upload released");
    const st = await b.status();
    assert.equal(st.lastError.code, "ABORTED");
    assert.match(st.lastError.message, /connection/);
    assert.ok(sameOutside(b, before, b.snapshot(), b.slot), "nothing outside the slot changed");
    assert.equal(installed(b, img).valid, false, "the half image is not valid");
    const s = await curl([b.url + "/api/status"]);
    assert.equal(s.json.state, "update-mode");
    assert.equal(s.json.lastError.code, "ABORTED");
  }
  const r = await curl(["-u", "user:stm32", "-T", file(img), b.url + "/api/firmware"]);
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "8.0.0");
});

both("one upload at a time: a second one gets 409 while the first runs; status shows the progress", {}, async (b, kind) => {
  const before = b.snapshot();
  const img = image("9.0.0", 150000, 9);
  const req = rawPut(img);
  const k = await rawClient(b.port);
  await k.write(req.subarray(0, 80000));
  await until(receivedMore(b, 50000), 5000, "50000 bytes received");
  const r2 = await curl(["-u", "user:stm32", "-T", file(image("9.9.9", 1000)), b.url + "/api/firmware"]);
  assert.equal(r2.status, 409);
  assert.equal(r2.json.code, "BUSY");
  const r3 = await curl(["-b", await login(b.port), "-F", `file=@${file(image("9.9.8", 1000))}`, b.url + "/upload"]);
  assert.equal(r3.status, 409);
  // Several connections at once: status readers while the upload is open.
  const ss = await Promise.all([1, 2, 3, 4, 5].map(() => curl([b.url + "/api/status"])));
  for (const s of ss) {
    assert.equal(s.json.state, "receiving");
    assert.equal(s.json.transfer.transport, "http");
    assert.equal(s.json.transfer.total, img.length);
    assert.ok(s.json.transfer.percent > 0 && s.json.transfer.percent < 100);
  }
  await k.write(req.subarray(80000));
  const [r] = await k.responses(1);
  k.destroy();
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "9.0.0");
});

both("rejected images: wrong board changes nothing at all; others change nothing outside the slot", {}, async (b, kind) => {
  const cookie = await login(b.port);
  const before = b.snapshot();
  const wrongBoard = image("1.0.0", 30000, 1, "nucleo-f429zi");
  for (const req of [rawPut(wrongBoard), rawForm(cookie, wrongBoard)]) {
    const r = await request(b.port, req);
    assert.equal(r.status, 422);
    assert.equal(r.json.code, "WRONG_BOARD");
    assert.match(r.json.message, /board/);
    assert.deepEqual(b.snapshot(), before, "a wrong-board image changes nothing at all");
  }
  const r0 = await curl(["-u", "user:stm32", "-F", `file=@${file(wrongBoard)}`, b.url + "/upload"]);
  assert.equal(r0.status, 422);
  assert.deepEqual(b.snapshot(), before);
  const notImage = fakeApp(5000);
  let r = await request(b.port, rawPut(notImage));
  assert.equal(r.status, 422);
  assert.equal(r.json.code, "BAD_MAGIC");
  assert.deepEqual(b.snapshot(), before);
  const corrupt = image("1.0.1", 40000);
  corrupt[20000] ^= 0xff;
  r = await request(b.port, rawForm(cookie, corrupt));
  assert.equal(r.status, 422);
  assert.equal(r.json.code, "CRC_MISMATCH");
  assert.ok(sameOutside(b, before, b.snapshot(), b.slot));
  assert.equal(installed(b, corrupt).valid, false);
  // A form without a file part, and one without its closing boundary.
  const noFile = "--zz\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--zz--";
  r = await request(b.port, cat(`POST /upload HTTP/1.1\r\nCookie: ${cookie}\r\nContent-Type: multipart/form-data; boundary=zz\r\nContent-Length: ${noFile.length}\r\n\r\n`, noFile));
  assert.equal(r.json.code, "TRUNCATED");
  assert.equal(r.status, 422);
  const good = image("1.0.2", 3000);
  const body = multipartBody("zz", [{ headers: { "Content-Disposition": "form-data; name=f; filename=a" }, body: good }]);
  const cut = body.subarray(0, body.length - 8);
  r = await request(b.port, cat(`POST /upload HTTP/1.1\r\nCookie: ${cookie}\r\nContent-Type: multipart/form-data; boundary=zz\r\nContent-Length: ${cut.length}\r\n\r\n`, cut));
  assert.equal(r.status, 400);
  assert.equal(r.json.code, "BAD_MULTIPART");
  r = await request(b.port, cat(`POST /upload HTTP/1.1\r\nCookie: ${cookie}\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n`, "0123456789"));
  assert.equal(r.status, 400);
  assert.ok(sameOutside(b, before, b.snapshot(), b.slot));
  // Still usable.
  const img = image("1.1.0", 20000);
  r = await request(b.port, rawForm(cookie, img));
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "1.1.0");
});

both("staged board: the upload goes to the staging slot", { board: "nucleo-f429zi" }, async (b, kind) => {
  assert.notEqual(b.slot.addr, b.info.app.addr);
  const before = b.snapshot();
  const img = packImage({ board: "nucleo-f429zi", version: "1.4.0", payload: fakeApp(90000, 2) });
  const r = await curl(["-u", "user:stm32", "-T", file(img), b.url + "/api/firmware"]);
  assert.equal(r.status, 200, r.body);
  assertInstalled(b, img, before, "1.4.0");
  const s = await curl([b.url + "/api/status"]);
  assert.equal(s.json.updateMode, "staged");
  assert.equal(s.json.staging.version, "1.4.0");
});

both("POST /api/reboot: needs a login, answers, then resets; uploads are refused meanwhile", {}, async (b, kind) => {
  const cookie = await login(b.port);
  const from = b.lines.length;
  // Boot.reset(): recorded by the in-process platform; the native board really resets.
  const reset = () => (kind === "node" ? b.p.events.includes("reset") : b.lines.slice(from).some((l) => /^board: reset$/.test(l)));
  const r = await curl(["-X", "POST", "-b", cookie, b.url + "/api/reboot"]);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { ok: true, rebooting: true });
  assert.ok(!reset(), "the reset comes after the answer");
  // Until the reset (300 ms after the answer) uploads are refused and the state is "rebooting"
  // (raw requests: quick enough for the native board's window).
  const up0 = await request(b.port, rawPut(image()));
  assert.equal(up0.status, 409);
  const s0 = await request(b.port, "GET /api/status HTTP/1.1\r\n\r\n");
  assert.equal(s0.json.state, "rebooting");
  await until(reset, 2000, "the reset");
  if (kind === "node") {
    const up = await curl(["-u", "user:stm32", "-T", file(image()), b.url + "/api/firmware"]);
    assert.equal(up.status, 409);
    const s = await curl([b.url + "/api/status"]);
    assert.equal(s.json.state, "rebooting");
  } else {
    // The board comes back in update mode (nothing valid to boot); the sessions were in RAM.
    await b.waitLine(/^update mode: TFTP on port/, 10000, from);
    const s = await until(async () => (await curl([b.url + "/api/status"])).json, 5000, "the status after the reset");
    assert.equal(s.state, "update-mode");
    assert.equal((await request(b.port, `GET /upload HTTP/1.1\r\nCookie: ${cookie}\r\n\r\n`)).status, 303, "the session is gone");
    const img = image("1.5.0", 20000, 3);
    const before = b.snapshot();
    const up = await curl(["-u", "user:stm32", "-T", file(img), b.url + "/api/firmware"]);
    assert.equal(up.status, 200, up.body);
    assertInstalled(b, img, before, "1.5.0");
  }
});

both("keep-alive: several requests on one connection, HTTP/1.0 and Connection: close end it", {}, async (b, kind) => {
  const k = await rawClient(b.port);
  await k.write("GET /api/status HTTP/1.1\r\n\r\n");
  await k.responses(1);
  await k.write("GET / HTTP/1.1\r\n\r\nGET /api/status HTTP/1.1\r\n\r\n");
  const rs = await k.responses(3);
  assert.deepEqual(rs.map((r) => r.status), [200, 200, 200]);
  assert.match(rs[1].headers["content-type"], /text\/html/);
  assert.equal(k.closed(), false);
  await k.write("GET /api/status HTTP/1.1\r\nConnection: close\r\n\r\n");
  await k.waitClosed();
  assert.equal((await k.responses(4)).length, 4);
  const k2 = await rawClient(b.port);
  await k2.write("GET /api/status HTTP/1.0\r\n\r\n");
  await k2.waitClosed();
  assert.equal((await k2.responses(1))[0].status, 200);
});

both("bounded: at most 8 connections, 16 sessions (the oldest goes first)", {}, async (b, kind) => {
  const ks = [];
  for (let i = 0; i < 8; i++) {
    const k = await rawClient(b.port);
    await k.write("GET /api/status HTTP/1.1\r\n\r\n");
    await k.responses(1);
    ks.push(k);
  }
  const extra = await rawClient(b.port);
  await extra.waitClosed(3000);
  assert.equal(extra.raw().length, 0, "the ninth connection is closed without an answer");
  ks[0].destroy();
  await sleep(100);
  const r = await request(b.port, "GET /api/status HTTP/1.1\r\n\r\n");
  assert.equal(r.status, 200, "a slot is free again");
  for (const k of ks) k.destroy();
  const first = await login(b.port);
  const get = async (ck) => (await request(b.port, `GET /upload HTTP/1.1\r\nCookie: ${ck}\r\n\r\n`)).status;
  const more = [];
  for (let i = 0; i < 15; i++) more.push(await login(b.port));
  assert.equal(await get(first), 200, "16 sessions fit");
  more.push(await login(b.port));
  assert.equal(await get(first), 303, "the 17th login replaces the oldest session");
  for (const ck of more) assert.equal(await get(ck), 200);
});

both("Expect: 100-continue gets its interim 100 before the body is sent (curl asks for it above 1 MiB)", {}, async (b, kind) => {
  const img = image("2.1.0", 20000, 12);
  const k = await rawClient(b.port);
  await k.write(`PUT /api/firmware HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic("user", "stm32")}\r\nContent-Length: ${img.length}\r\nExpect: 100-continue\r\n\r\n`);
  await until(() => k.raw().toString("latin1").startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
  await k.write(img);
  await until(() => /HTTP\/1\.1 200/.test(k.raw().toString("latin1")));
  k.destroy();
  assert.ok(installed(b, img).valid);
});
