/**
 * typeboot flash --board B [--probe openocd|stlink] [--app app.tbi] [--dry-run] [bootloader.bin]
 *
 * Write the bootloader (build/<board>/typeboot.bin by default, at the flash base) and optionally a
 * packed application (at the application slot) into a real board through an ST-LINK, with Debian's
 * openocd (interface/stlink.cfg + target/stm32f4x.cfg: the Nucleo's on-board ST-LINK/V2-1 or an
 * ST-LINK on the EVAL's JTAG/SWD connector) or st-flash (stlink-tools). An application written this
 * way gets the status words the bootloader itself programs after a checked upload (valid, and
 * confirmed), in a temporary copy: its header and payload CRC are checked here first, and the boot
 * policy checks the CRC again at every reset. --dry-run prints the exact commands.
 *
 * --user U --password P provision the board's login for the update pages: they are written into the
 * bootloader image's credentials block (magic "TBCR", 16 + 32 bytes, CRC-32; firmware/port/stm32f4/
 * main.c) in a temporary copy. Without them the board makes a new random password at every reset and
 * shows it on its console.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as zlib from "node:zlib";
import { MARK_CONFIRMED, MARK_VALID, STATUS_CONFIRMED, STATUS_VALID, hex } from "../../src/image/header";
import { UsageError, inspectImage } from "../image";
import { ROOT, loadBoard } from "../layout";
import { OperationError } from "../http-client";
import { Opts } from "./common";

export const usage = "typeboot flash --board B [--probe openocd|stlink] [--app app.tbi] [--mode direct|staged] [--user U --password P] [--dry-run] [bootloader.bin]";
export const help =
  "Write the bootloader (default build/<board>/typeboot.bin) and optionally a packed application into a board through an ST-LINK with openocd or st-flash (--dry-run prints the commands).";

type Step = { cmd: string; args: string[] };

const CREDENTIALS_MAGIC = 0x52434254; // "TBCR"
const USER_BYTES = 16, PASSWORD_BYTES = 32;

/** The bootloader image with this login in its credentials block (which must be there, empty, once). */
export function provision(bin: Buffer, user: string, password: string): Buffer {
  if (!/^[\x21-\x7e]{1,15}$/.test(user)) throw new UsageError("--user: 1 to 15 printable ASCII characters, no spaces");
  if (!/^[\x21-\x7e]{8,31}$/.test(password)) throw new UsageError("--password: 8 to 31 printable ASCII characters, no spaces");
  const empty = Buffer.alloc(4 + USER_BYTES + PASSWORD_BYTES + 4, 0);
  empty.writeUInt32LE(CREDENTIALS_MAGIC, 0);
  empty.writeUInt32LE(0xffffffff, 4 + USER_BYTES + PASSWORD_BYTES);
  const at = bin.indexOf(empty);
  if (at < 0 || bin.indexOf(empty, at + 1) >= 0) throw new UsageError("this bootloader image has no (single) empty credentials block: is it a TypeBoot STM32 build?");
  const out = Buffer.from(bin);
  const fields = Buffer.alloc(USER_BYTES + PASSWORD_BYTES, 0);
  fields.write(user, 0, "latin1");
  fields.write(password, USER_BYTES, "latin1");
  fields.copy(out, at + 4);
  out.writeUInt32LE(zlib.crc32(fields), at + 4 + USER_BYTES + PASSWORD_BYTES);
  return out;
}

function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function commands(probe: string, writes: { file: string; addr: number }[]): Step[] {
  if (probe === "openocd") {
    const c = writes.map((w, i) => `program ${w.file} ${hex(w.addr)} verify${i === writes.length - 1 ? " reset exit" : ""}`);
    return [{ cmd: "openocd", args: ["-f", "interface/stlink.cfg", "-f", "target/stm32f4x.cfg", ...c.flatMap((x) => ["-c", x])] }];
  }
  if (probe === "stlink") return writes.map((w, i) => ({ cmd: "st-flash", args: [...(i === writes.length - 1 ? ["--reset"] : []), "write", w.file, hex(w.addr)] }));
  throw new UsageError(`--probe must be openocd or stlink, not '${probe}'`);
}

export function run(args: string[], o: Opts): number {
  if (typeof o.board !== "string") throw new UsageError("flash needs --board (npx typeboot boards lists them)");
  const mode = typeof o.mode === "string" ? (o.mode as "direct" | "staged") : undefined;
  const layout = loadBoard(o.board, mode);
  const probe = typeof o.probe === "string" ? o.probe : "openocd";
  const boot = args[0] ?? path.join(ROOT, "build", o.board, "typeboot.bin");
  if (!fs.existsSync(boot)) throw new UsageError(`${boot} does not exist: build it with npm run build -- --board ${o.board}`);
  if (!boot.endsWith(".bin")) throw new UsageError(`${boot}: give the raw binary (.bin) of the bootloader`);
  const size = fs.statSync(boot).size;
  if (size > layout.info.bootloader.size) throw new UsageError(`${boot} is ${size} bytes, the bootloader region holds ${layout.info.bootloader.size}`);
  const writes = [{ file: boot, addr: layout.info.bootloader.addr }];
  let tmp: string | undefined;
  const scratch = () => (tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-flash-")));
  if (o.user !== undefined || o.password !== undefined) {
    if (typeof o.password !== "string") throw new UsageError("--user needs --password");
    const f = path.join(scratch(), path.basename(boot));
    fs.writeFileSync(f, provision(fs.readFileSync(boot), typeof o.user === "string" ? o.user : "admin", o.password));
    writes[0].file = f;
  }
  if (typeof o.app === "string") {
    if (!fs.existsSync(o.app)) throw new UsageError(`${o.app} does not exist`);
    const img = new Uint8Array(fs.readFileSync(o.app));
    const i = inspectImage(img);
    if (i.problems.length) throw new UsageError(`${o.app}: ${i.problems.join("; ")}`);
    if (i.header.boardId !== layout.info.id) throw new UsageError(`${o.app} is for board id ${i.header.boardId}, ${o.board} is ${layout.info.id}`);
    if (i.header.headerSize + i.header.imageSize > layout.info.app.size) throw new UsageError(`${o.app} does not fit the application slot`);
    const marked = Buffer.from(img);
    marked.writeUInt32LE(MARK_VALID, STATUS_VALID);
    marked.writeUInt32LE(MARK_CONFIRMED, STATUS_CONFIRMED);
    const f = path.join(scratch(), path.basename(o.app));
    fs.writeFileSync(f, marked);
    writes.push({ file: f, addr: layout.info.app.addr });
  }
  try {
    const steps = commands(probe, writes);
    for (const s of steps) {
      const line = [s.cmd, ...s.args].map(quote).join(" ");
      if (o["dry-run"]) {
        console.log(line);
        continue;
      }
      console.log(`$ ${line}`);
      const r = spawnSync(s.cmd, s.args, { stdio: "inherit" });
      if (r.error) throw new OperationError(`${s.cmd}: ${r.error.message} (Debian: apt-get install ${s.cmd === "openocd" ? "openocd" : "stlink-tools"})`);
      if (r.status !== 0) throw new OperationError(`${s.cmd} failed (exit ${r.status}): is the board connected and powered, the ST-LINK's USB cable in?`);
    }
  } finally {
    if (tmp && !o["dry-run"]) fs.rmSync(tmp, { recursive: true, force: true });
  }
  return 0;
}
