/**
 * typeboot: the host command-line tool. `typeboot --help` lists the commands.
 * User mistakes end with a one-line message naming the problem and exit code 2; no stack traces.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { spawn, spawnSync } from "node:child_process";
import { hex } from "../src/image/header";
import { ROOT, boardNames, loadBoard, LayoutError } from "./layout";
import { UsageError, inspectImage, packImage, readApplication } from "./image";
import { SimBoard } from "./sim";
import { OperationError } from "./http-client";
import * as statusCmd from "./commands/status";
import * as rebootCmd from "./commands/reboot";
import * as uploadCmd from "./commands/upload";
import * as watchCmd from "./commands/watch";
import * as flashCmd from "./commands/flash";
import * as qemuCmd from "./commands/qemu";

type Opts = Record<string, string | boolean>;

const COMMANDS: Record<string, { usage: string; help: string; run: (args: string[], o: Opts) => number | void | Promise<number> }> = {
  pack: {
    usage: "typeboot pack --board B --version X.Y.Z[+BUILD] [--mode direct|staged] [--allow-downgrade] [--no-vector-check] app.bin|app.hex|app.elf -o app.tbi",
    help: "Put the image header (magic, sizes, load address, version, board id, CRCs) in front of an application (.bin, Intel .hex or ARM .elf) after checking its vector table.",
    run: pack,
  },
  inspect: {
    usage: "typeboot inspect [--json] app.tbi",
    help: "Print an image's header and check its CRCs.",
    run: inspect,
  },
  sim: {
    usage: "typeboot sim [--board B] [--mode direct|staged] [--flash FILE] [--tftp-port P] [--http-port P] [--user U --password P] [--timing] [--button] [--no-reboot] [--no-confirm] [--cut-after N] [--runtime native|node]",
    help: "Start a simulated board (the native runtime by default): the boot policy, then TFTP and HTTP update servers on 127.0.0.1 (flash persists in FILE).",
    run: sim,
  },
  build: {
    usage: "typeboot build [--board B[,B2...]]",
    help: "Type-check and bundle src/ into build/bundle/{boot,update}.js for Duktape, build the simulator, and with --board the firmware of those boards (build/<board>/typeboot.{elf,bin,hex,map}, the example application packed); prints the sizes.",
    run: (_args: string[], o: Opts) => {
      const boards = o.board === undefined ? [] : str(o, "board").split(",").filter(Boolean);
      for (const b of boards) loadBoard(b);
      return spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.mjs"), ...boards.flatMap((b) => ["--board", b])], { stdio: "inherit" }).status ?? 1;
    },
  },
  boards: {
    usage: "typeboot boards",
    help: "List the boards and their flash layout.",
    run: boards,
  },
  status: statusCmd,
  reboot: rebootCmd,
  upload: uploadCmd,
  watch: watchCmd,
  flash: flashCmd,
  qemu: qemuCmd,
};

function parse(argv: string[]): { args: string[]; opts: Opts } {
  const args: string[] = [];
  const opts: Opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o") opts.output = argv[++i] ?? "";
    else if (a === "-h") opts.help = true;
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) opts[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("-") && !["json", "help", "timing", "button", "no-reboot", "allow-downgrade", "no-resume", "no-confirm", "no-vector-check", "once", "dry-run", "icount"].includes(a.slice(2))) opts[a.slice(2)] = argv[++i];
      else opts[a.slice(2)] = true;
    } else args.push(a);
  }
  return { args, opts };
}

function str(o: Opts, name: string, fallback?: string): string {
  const v = o[name];
  if (v === undefined || v === true) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${name} is required`);
  }
  return String(v);
}

function port(o: Opts, name: string, fallback: number): number {
  const v = o[name] === undefined ? fallback : Number(o[name]);
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new UsageError(`--${name} must be a port number (1-65535)`);
  return v;
}

function readInput(file: string | undefined): Uint8Array {
  if (!file) throw new UsageError("no input file given");
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
  return new Uint8Array(fs.readFileSync(file));
}

function pack(args: string[], o: Opts): number {
  // `--no-vector-check` is a flag: if the option parser took the next word as its value, that word is the input file.
  const noCheck = o["no-vector-check"];
  if (typeof noCheck === "string") args = [noCheck, ...args];
  const board = str(o, "board");
  const mode = o.mode === undefined ? undefined : (str(o, "mode") as "direct" | "staged");
  const file = args[0];
  const bytes = readInput(file);
  const info = loadBoard(board, mode).info;
  const appAddress = info.app.addr + info.headerSize;
  const app = readApplication(file, bytes, info.app.size - info.headerSize);
  if (app.loadAddress !== null && app.loadAddress !== appAddress) {
    throw new UsageError(`${file}: the application is linked at ${hex(app.loadAddress)}, but ${board}'s application address is ${hex(appAddress)} (the slot + ${info.headerSize}-byte header): link it there`);
  }
  const out = str(o, "output", file.replace(/\.[^./]*$/, "") + ".tbi");
  const img = packImage({ board, version: str(o, "version"), payload: app.payload, mode, allowDowngrade: !!o["allow-downgrade"], checkVectors: !noCheck });
  fs.writeFileSync(out, img);
  const i = inspectImage(img);
  console.log(`${out}: ${board} image ${i.version}, ${i.header.imageSize} bytes at ${hex(i.header.loadAddress)}, CRC ${hex(i.header.payloadCrc)}${app.format === "bin" ? "" : ` (from ${app.format.toUpperCase()})`}`);
  printHeader(i, board);
  return 0;
}

function printHeader(i: ReturnType<typeof inspectImage>, board: string | undefined): void {
  const h = i.header;
  const rows: [string, string][] = [
    ["version", i.version],
    ["board", `${board ?? "unknown"} (id ${h.boardId})`],
    ["image size", `${h.imageSize} bytes`],
    ["load address", hex(h.loadAddress)],
    ["header", `version ${h.headerVersion}, ${h.headerSize} bytes, CRC ok`],
    ["flags", hex(h.flags)],
    ["payload CRC", `${hex(h.payloadCrc)} ${i.payloadCrcOk ? "ok" : "MISMATCH"}`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(13)} ${v}`);
  for (const p of i.problems) console.log(`problem       ${p}`);
}

function inspect(args: string[], o: Opts): number {
  const file = readInput(args[0]);
  const i = inspectImage(file);
  const h = i.header;
  const board = boardNames().find((n) => loadBoard(n).info.id === h.boardId);
  if (o.json) {
    console.log(JSON.stringify({ ...h, version: i.version, board: board ?? null, payloadCrcOk: i.payloadCrcOk, problems: i.problems }, null, 2));
  } else {
    printHeader(i, board);
  }
  return i.problems.length ? 1 : 0;
}

function boards(): number {
  for (const name of boardNames()) {
    for (const mode of ["direct", "staged"] as const) {
      const l = loadBoard(name, mode).info;
      const r = (x?: { addr: number; size: number }) => (x ? `${hex(x.addr)} ${x.size / 1024} KiB` : "-");
      console.log(`${name.padEnd(15)} ${mode.padEnd(7)} bootloader ${r(l.bootloader)} | app ${r(l.app)} | staging ${r(l.staging)} | scratch ${r(l.scratch)} | record ${r(l.record)}`);
    }
  }
  return 0;
}

function sim(_args: string[], o: Opts): void {
  const board = str(o, "board", "stm324xg-eval");
  const mode = o.mode === undefined ? undefined : (str(o, "mode") as "direct" | "staged");
  loadBoard(board, mode);
  const flash = path.resolve(str(o, "flash", path.join(ROOT, "build", "sim", `${board}.flash`)));
  fs.mkdirSync(path.dirname(flash), { recursive: true });
  const user = typeof o.user === "string" ? o.user : process.env.TYPEBOOT_USER || "admin";
  let password = typeof o.password === "string" ? o.password : process.env.TYPEBOOT_PASSWORD || "";
  let generated = false;
  if (!password) {
    password = crypto.randomBytes(9).toString("base64url");
    generated = true;
  }
  const tftpPort = port(o, "tftp-port", 6969);
  const httpPort = port(o, "http-port", 8080);
  const runtime = str(o, "runtime", "native");
  let state = "";
  if (runtime === "node") {
    const b = new SimBoard({
      board, mode, flashFile: flash, tftpPort, httpPort, address: "127.0.0.1",
      credentials: { user, password }, timing: !!o.timing, button: !!o.button, rebootAfterUpdate: !o["no-reboot"], appConfirms: !o["no-confirm"],
    });
    process.on("uncaughtException", (e) => {
      console.error(`board: uncaught error: ${e.stack || e}; resetting`);
      b.reset();
    });
    b.start();
    state = `  state:    ${b.state}${b.state === "app" ? ` (APP ${b.runningVersion})` : ""}\n`;
  } else if (runtime === "native") {
    const exe = path.join(ROOT, "build", "host-runtime", "typeboot-sim");
    if (!fs.existsSync(exe)) throw new UsageError(`${exe} is missing: run 'npm run build' (or use --runtime node)`);
    const args = ["--board", board, "--flash", flash, "--tftp-port", String(tftpPort), "--http-port", String(httpPort), "--address", "127.0.0.1", "--user", user, "--password", password];
    if (mode) args.push("--mode", mode);
    if (typeof o["cut-after"] === "string") args.push("--cut-after", o["cut-after"]);
    for (const flag of ["timing", "button", "no-reboot", "no-confirm"]) if (o[flag]) args.push("--" + flag);
    const child = spawn(exe, args, { stdio: "inherit" });
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
    child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    // Print how to upload once the board answers on its HTTP port (update mode or the application).
    const started = Date.now();
    const probe = () => {
      const c = net.connect(httpPort, "127.0.0.1");
      c.on("connect", () => {
        c.destroy();
        banner();
      });
      c.on("error", () => (Date.now() - started < 10000 ? setTimeout(probe, 50) : banner()));
    };
    probe();
    return;
  } else throw new UsageError(`--runtime must be native or node, not '${runtime}'`);
  banner();

  function banner(): void {
    console.log(`
Simulated ${board} (${runtime === "node" ? "Node runtime" : "native runtime: build/host-runtime/typeboot-sim"}; flash: ${flash})
${state}  login:    ${user} / ${password}${generated ? "   (generated; set --user/--password or TYPEBOOT_USER/TYPEBOOT_PASSWORD)" : ""}
Upload an image (make one with: npx typeboot pack --board ${board} --version 1.0.0 app.bin -o app.tbi):
  TFTP:     curl --tftp-blksize 1468 -T app.tbi tftp://127.0.0.1:${tftpPort}/app.tbi
            tftp 127.0.0.1 ${tftpPort} -m binary -c put app.tbi
  HTTP:     curl -u ${user}:${password} -T app.tbi http://127.0.0.1:${httpPort}/api/firmware
  Browser:  http://127.0.0.1:${httpPort}/
  Status:   curl http://127.0.0.1:${httpPort}/api/status
When the application runs: GET http://127.0.0.1:${httpPort}/app, POST .../app/update for update mode.
Stop with Ctrl-C.`);
  }
}

function usage(): string {
  return ["Usage: typeboot <command> [options]", "", "Commands:", ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(9)} ${c.help}`), "", "Run 'typeboot <command> --help' for a command's options."].join("\n");
}

export function main(argv: string[]): number | void {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(usage());
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`typeboot: unknown command '${cmd}'\n\n${usage()}`);
    return 2;
  }
  const { args, opts } = parse(rest);
  if (opts.help) {
    console.log(`Usage: ${c.usage}\n\n${c.help}`);
    return 0;
  }
  const known = (e: unknown): number | undefined => {
    if (e instanceof UsageError || e instanceof LayoutError || e instanceof OperationError) {
      console.error(`typeboot ${cmd}: ${e.message}`);
      return e instanceof OperationError ? 1 : 2;
    }
    return undefined;
  };
  try {
    const r = c.run(args, opts);
    if (r instanceof Promise) {
      // The network commands: the exit code is set when they end (bin/typeboot.js only takes numbers).
      r.then(
        (code) => (process.exitCode = code),
        (e) => {
          const code = known(e);
          if (code === undefined) throw e;
          process.exitCode = code;
        },
      );
      return;
    }
    return r;
  } catch (e) {
    const code = known(e);
    if (code !== undefined) return code;
    throw e;
  }
}
