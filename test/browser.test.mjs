// The login and upload pages in a real browser (headless chromium through playwright-core),
// against the HTTP server of both targets of helpers/target.mjs ("node": in-process under Node;
// "native": the C runtime, build/host-runtime/typeboot-sim, with the pages compiled in): log in,
// choose the file, upload, watch the progress reach 100% and the page report the new version; a
// wrong password and a rejected image show their messages. Nothing is skipped for native.
import test from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { startBoard, image, installed, sameOutside, CREDS, KINDS } from "./helpers/http-util.mjs";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

for (const kind of KINDS) {
  test(`${kind}: browser: wrong password, login, upload with progress to 100%, new version shown; a rejected image`, { timeout: 90000, skip: !fs.existsSync(CHROMIUM) && "no chromium" }, async () => {
    const b = await startBoard({ kind });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-browser-"));
    let browser;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30000 });
      const page = await browser.newPage({ viewport: { width: 900, height: 860 } });
      page.setDefaultTimeout(15000);
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => m.type() === "error" && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));

      // The login page; a wrong password shows the message.
      await page.goto(b.url + "/");
      assert.equal(await page.title(), "TypeBoot - log in");
      assert.equal(await page.isVisible("#msg"), false, "no message box before a failed login");
      await page.fill("#user", CREDS.user);
      await page.fill("#password", "not-the-password");
      await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
      await page.waitForSelector("#msg", { state: "visible" });
      assert.match(await page.textContent("#msg"), /Wrong user name or password/);
      assert.equal(new URL(page.url()).pathname, "/login");
      await page.screenshot({ path: `/tmp/typeboot-login-${kind}.png` });

      // Log in: the upload page with the device's state.
      await page.fill("#user", CREDS.user);
      await page.fill("#password", CREDS.password);
      await Promise.all([page.waitForURL(b.url + "/upload"), page.click("button[type=submit]")]);
      await page.waitForFunction(() => document.getElementById("board").textContent.includes("stm324xg-eval"));
      assert.match(await page.textContent("#mode"), /direct/);
      assert.match(await page.textContent("#app"), /empty/);
      const cookies = await page.context().cookies();
      const c = cookies.find((x) => x.name === "tb_session");
      assert.ok(c && c.httpOnly && c.sameSite === "Strict", "session cookie HttpOnly, SameSite=Strict");

      // Upload: progress observed on the way, 100% at the end, the version reported.
      const img = image("1.2.3", 600000, 5);
      const f = path.join(dir, "app.tbi");
      fs.writeFileSync(f, img);
      const before = b.snapshot();
      await page.evaluate(() => {
        window.seen = [];
        new MutationObserver(() => window.seen.push(document.getElementById("pct").textContent)).observe(document.getElementById("pct"), { childList: true, characterData: true, subtree: true });
      });
      await page.setInputFiles("#file", f);
      await page.click("#go");
      await page.waitForFunction(() => /Done|failed/.test(document.getElementById("result").textContent), null, { timeout: 30000 });
      const result = await page.textContent("#result");
      assert.match(result, /Done: version 1\.2\.3 written and verified/);
      assert.equal(await page.textContent("#pct"), "100%");
      assert.equal(await page.evaluate(() => document.getElementById("bar").value), 100);
      const seen = await page.evaluate(() => window.seen);
      assert.ok(seen.includes("100%"), "progress reached 100%: " + seen.join(" "));
      const st = installed(b, img);
      assert.ok(st.same && st.valid, "the image is in flash and valid: " + st.problem);
      assert.ok(sameOutside(b, before, b.snapshot(), b.slot));
      // The device table follows (status polling).
      await page.waitForFunction(() => document.getElementById("app").textContent.startsWith("1.2.3"));
      assert.match(await page.textContent("#app"), /1\.2\.3 \(valid, confirmed\)/);
      assert.match(await page.textContent("#last"), /1\.2\.3/);
      await page.screenshot({ path: `/tmp/typeboot-upload-${kind}.png`, fullPage: true });

      // A wrong-board image: the page shows why, flash unchanged.
      const bad = image("9.9.9", 20000, 1, "nucleo-f429zi");
      fs.writeFileSync(path.join(dir, "bad.tbi"), bad);
      const mid = b.snapshot();
      await page.setInputFiles("#file", path.join(dir, "bad.tbi"));
      await page.click("#go");
      await page.waitForFunction(() => /failed/.test(document.getElementById("result").textContent));
      assert.match(await page.textContent("#result"), /WRONG_BOARD/);
      assert.deepEqual(b.snapshot(), mid);
      await page.waitForFunction(() => /WRONG_BOARD/.test(document.getElementById("err").textContent));
      await page.screenshot({ path: `/tmp/typeboot-upload-error-${kind}.png`, fullPage: true });
      assert.deepEqual(errors, []);

      // Another browser without the cookie is sent to the login page.
      const other = await browser.newPage();
      await other.goto(b.url + "/upload");
      assert.equal(new URL(other.url()).pathname, "/");
    } finally {
      if (browser) await browser.close();
      await b.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
