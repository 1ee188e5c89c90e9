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
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { MARK_CONFIRMED, MARK_VALID, STATUS_CONFIRMED, STATUS_VALID, hex } from "../../src/image/header";
import { UsageError, inspectImage } from "../image";
import { ROOT, loadBoard } from "../layout";
import { OperationError } from "../http-client";
import { Opts } from "./common";

export const usage = "typeboot flash --board B [--probe openocd|stlink] [--app app.tbi] [--mode direct|staged] [--dry-run] [bootloader.bin]";
export const help =
  "Write the bootloader (default build/<board>/typeboot.bin) and optionally a packed application into a board through an ST-LINK with openocd or st-flash (--dry-run prints the commands).";

type Step = { cmd: string; args: string[] };

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
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "typeboot-flash-"));
    const f = path.join(tmp, path.basename(o.app));
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
