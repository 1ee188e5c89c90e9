/**
 * A simulated board on the host: the boot-policy bundle at every power-on/reset, then either the
 * update-mode bundle (TFTP + HTTP on 127.0.0.1) or a stand-in for the application. Flash (and the
 * boot-request word) survive a reset; nothing else does: each boot loads the bundles afresh.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { MARK_CONFIRMED, STATUS_CONFIRMED, le32 } from "../src/image/header";
import { REQUEST_UPDATE } from "../src/platform/contract";
import { readSlot } from "../src/boot/slots";
import { createHostPlatform, HostPlatform } from "./platform";
import { loadBundle } from "./runtime";

export interface SimOptions {
  board: string;
  mode?: "direct" | "staged";
  flashFile?: string;
  tftpPort: number;
  httpPort: number;
  address?: string;
  credentials?: { user: string; password: string };
  timing?: boolean;
  button?: boolean;
  rebootAfterUpdate?: boolean;
  /** The simulated application confirms itself when it starts (a healthy app). */
  appConfirms?: boolean;
  log?: (s: string) => void;
}

export class SimBoard {
  state: "off" | "update" | "app" = "off";
  platform: HostPlatform | null = null;
  boots = 0;
  bootSteps: string[] = [];
  runningVersion = "";
  private bytes: Uint8Array | undefined;
  private request = 0;
  private updateHandle: { close(): void; service: any } | null = null;
  private appServer: http.Server | null = null;
  private log: (s: string) => void;

  constructor(private o: SimOptions) {
    this.log = o.log || ((s) => console.log(s));
    if (o.flashFile && fs.existsSync(o.flashFile + ".state")) {
      try {
        this.request = JSON.parse(fs.readFileSync(o.flashFile + ".state", "utf8")).request >>> 0;
      } catch {
        this.request = 0;
      }
    }
  }

  get service(): any {
    return this.updateHandle?.service;
  }

  private saveRequest(word: number): void {
    this.request = word;
    if (this.o.flashFile) fs.writeFileSync(this.o.flashFile + ".state", JSON.stringify({ request: word }) + "\n");
  }

  /** Power on (or come out of reset). */
  start(): void {
    let jumped = -1;
    const p = createHostPlatform({
      board: this.o.board,
      mode: this.o.mode,
      flashFile: this.o.flashFile,
      flashBytes: this.o.flashFile ? undefined : this.bytes,
      timing: this.o.timing,
      credentials: this.o.credentials,
      button: this.o.button && this.boots === 0,
      request: this.request,
      log: this.log,
      onRequest: (w) => this.saveRequest(w),
      onReset: () => setImmediate(() => this.reset()),
      onJump: (addr) => (jumped = addr),
    });
    this.platform = p;
    this.boots++;
    const result = loadBundle("boot", p).main();
    this.bootSteps = result.steps;
    if (jumped >= 0) {
      this.startApp(p);
      return;
    }
    this.state = "update";
    this.updateHandle = loadBundle("update", p).start({
      tftpPort: this.o.tftpPort,
      httpPort: this.o.httpPort,
      address: this.o.address || "127.0.0.1",
      rebootAfterUpdate: this.o.rebootAfterUpdate !== false,
      bootReason: result.decision.reason,
    });
  }

  /** Stop everything the current boot started (servers, flash file). */
  stop(): void {
    if (this.updateHandle) this.updateHandle.close();
    this.updateHandle = null;
    if (this.appServer) {
      this.appServer.closeAllConnections();
      this.appServer.close();
    }
    this.appServer = null;
    if (this.platform) {
      if (!this.o.flashFile) this.bytes = this.platform.nor.bytes;
      this.platform.nor.close();
    }
    this.platform = null;
    this.state = "off";
  }

  reset(): void {
    this.log("board: reset");
    this.stop();
    this.start();
  }

  /** The application stand-in: what the example application does on a board. */
  private startApp(p: HostPlatform): void {
    const info = p.layout.info;
    const slot = readSlot(p.flash, p.E.CRC32, info.app, false);
    this.state = "app";
    this.runningVersion = slot.version;
    this.log(`APP ${slot.version} running`);
    const confirm = () => {
      if (!readSlot(p.flash, p.E.CRC32, info.app, false).confirmed) {
        p.flash.write(le32(MARK_CONFIRMED), info.app.addr + STATUS_CONFIRMED);
      }
    };
    if (this.o.appConfirms !== false) confirm();
    this.appServer = http.createServer((req, res) => {
      const send = (code: number, body: object) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify(body) + "\n");
      };
      if (req.method === "GET" && req.url === "/app") return send(200, { version: slot.version, board: info.name, confirmed: readSlot(p.flash, p.E.CRC32, info.app, false).confirmed });
      if (req.method === "POST" && req.url === "/app/update") {
        p.boot.setRequest(REQUEST_UPDATE);
        send(200, { ok: true, message: "rebooting into update mode" });
        setTimeout(() => p.boot.reset(), 50);
        return;
      }
      if (req.method === "POST" && req.url === "/app/confirm") {
        confirm();
        return send(200, { ok: true });
      }
      send(404, { ok: false, message: "the application serves GET /app, POST /app/update, POST /app/confirm" });
    });
    this.appServer.listen(this.o.httpPort, this.o.address || "127.0.0.1");
  }
}
