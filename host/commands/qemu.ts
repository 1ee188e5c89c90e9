/**
 * typeboot qemu: the real firmware (build/<board>/typeboot.elf) on QEMU's mps2-an386, with user
 * networking: the device's TFTP (69/udp) and HTTP (80/tcp) ports forwarded to 127.0.0.1, console on
 * stdio. The login reaches the device through a configuration block that QEMU loads at 0x21F00000
 * (-device loader; firmware/port/qemu-mps2/mps2.h).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { ROOT } from "../layout";
import { UsageError } from "../image";
import { Opts } from "./common";

export const usage =
  "typeboot qemu [--board qemu-mps2-an386] [--tftp-port P] [--http-port P] [--user U --password P] [--mode direct|staged] [--button] [--icount]";
export const help =
  "Run the firmware on QEMU's mps2-an386 (Cortex-M4, LAN9118) with the device's TFTP and HTTP ports forwarded to 127.0.0.1 (6969 and 8080 by default), console on stdio; quit with Ctrl-A x. Builds it first if needed. --icount counts instructions (-icount shift=0).";

export const CONFIG_ADDR = 0x21f00000;
export const CONFIG_MAX = 1024;

export interface QemuOptions {
  board: string;
  tftpPort: number;
  httpPort: number;
  user?: string;
  password?: string;
  mode?: "direct" | "staged";
  button?: boolean;
  icount?: boolean;
  /** Where the configuration block is written (default build/<board>/qemu-config-<pid>.bin). */
  configFile?: string;
}

/** The configuration block: "TBCF", NUL-terminated key=value strings, an empty string. */
export function configBlock(entries: Record<string, string | undefined>): Buffer {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) continue;
    if (/[\0=]/.test(k) || v.includes("\0")) throw new UsageError(`configuration value ${k} may not contain NUL or '=' in its name`);
    parts.push(`${k}=${v}\0`);
  }
  const b = Buffer.from("TBCF" + parts.join("") + "\0", "utf8");
  if (b.length > CONFIG_MAX) throw new UsageError(`the QEMU configuration block is ${b.length} bytes, more than ${CONFIG_MAX}`);
  return b;
}

export function elfPath(board: string): string {
  return path.join(ROOT, "build", board, "typeboot.elf");
}

function boardFile(board: string): any {
  const f = path.join(ROOT, "boards", `${board}.json`);
  if (!fs.existsSync(f)) throw new UsageError(`no board '${board}' (boards/*.json)`);
  const b = JSON.parse(fs.readFileSync(f, "utf8"));
  if (b.port !== "qemu-mps2" || !b.qemu?.machine) throw new UsageError(`board ${board} does not run on QEMU (its port is '${b.port ?? "none"}')`);
  return b;
}

/** The qemu-system-arm command line (writes the configuration block). */
export function qemuCommand(o: QemuOptions): { cmd: string; args: string[]; configFile: string } {
  const b = boardFile(o.board);
  const configFile = o.configFile ?? path.join(ROOT, "build", o.board, `qemu-config-${process.pid}.bin`);
  fs.mkdirSync(path.dirname(configFile), { recursive: true });
  fs.writeFileSync(configFile, configBlock({ user: o.user, password: o.password, mode: o.mode, button: o.button ? "1" : undefined }));
  const args = [
    "-M", b.qemu.machine,
    "-nographic",
    "-kernel", elfPath(o.board),
    "-nic", `user,hostfwd=udp:127.0.0.1:${o.tftpPort}-:69,hostfwd=tcp:127.0.0.1:${o.httpPort}-:80`,
    "-device", `loader,file=${configFile},addr=0x${CONFIG_ADDR.toString(16)},force-raw=on`,
  ];
  if (o.icount) args.push("-icount", "shift=0");
  return { cmd: "qemu-system-arm", args, configFile };
}

function port(o: Opts, name: string, fallback: number): number {
  const v = o[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--${name} needs a port number (1-65535)`);
  return n;
}

export function run(_args: string[], o: Opts): Promise<number> {
  const board = typeof o.board === "string" ? o.board : "qemu-mps2-an386";
  const b = boardFile(board);
  if (!fs.existsSync(elfPath(board))) {
    console.log(`typeboot qemu: building the ${board} firmware (npm run build -- --board ${board})`);
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), "--board", board], { stdio: "inherit" });
    if (r.status !== 0) throw new UsageError(`the ${board} firmware did not build`);
  }
  const user = typeof o.user === "string" ? o.user : process.env.TYPEBOOT_USER || "admin";
  let password = typeof o.password === "string" ? o.password : process.env.TYPEBOOT_PASSWORD || "";
  const generated = !password;
  if (generated) password = crypto.randomBytes(9).toString("base64url");
  const mode = o.mode === undefined ? undefined : String(o.mode);
  if (mode !== undefined && mode !== "direct" && mode !== "staged") throw new UsageError("--mode is direct or staged");
  const q = qemuCommand({
    board, tftpPort: port(o, "tftp-port", b.qemu.tftpPort ?? 6969), httpPort: port(o, "http-port", b.qemu.httpPort ?? 8080),
    user, password, mode: mode as "direct" | "staged" | undefined, button: !!o.button, icount: !!o.icount,
  });
  const tftp = q.args[q.args.indexOf("-nic") + 1].match(/udp:127\.0\.0\.1:(\d+)/)![1];
  const http = q.args[q.args.indexOf("-nic") + 1].match(/tcp:127\.0\.0\.1:(\d+)/)![1];
  console.log(`QEMU ${b.qemu.machine} running the ${board} firmware (${elfPath(board)}); quit with Ctrl-A x
  login:    ${user} / ${password}${generated ? "   (generated; set --user/--password or TYPEBOOT_USER/TYPEBOOT_PASSWORD)" : ""}
  TFTP:     curl --tftp-blksize 1468 -T app.tbi tftp://127.0.0.1:${tftp}/app.tbi
  HTTP:     curl -u ${user}:${password} -T app.tbi http://127.0.0.1:${http}/api/firmware   (browser: http://127.0.0.1:${http}/)
  example:  build/${board}/examples/app-1.0.0.tbi; in the application, type 'u' for update mode
${q.args.length ? `  command:  ${q.cmd} ${q.args.join(" ")}` : ""}
`);
  return new Promise((resolve) => {
    const child = spawn(q.cmd, q.args, { stdio: "inherit" });
    const stop = () => child.kill("SIGTERM");
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    child.on("error", (e) => {
      console.error(`typeboot qemu: ${q.cmd}: ${e.message} (install qemu-system-arm: npm run setup)`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      fs.rmSync(q.configFile, { force: true });
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
