// Generates the C view of the boards and of the web pages for the runtime (firmware/):
//   build/boards/<board>.h   one board: sector map with datasheet erase times, regions of both update
//                            modes, id, header size, trial attempts (from flash-layout.json + boards/*.json)
//   build/boards/boards.h    every board, and TB_BOARDS: the table the host simulator picks from
//   build/boards/web_assets.h  build/web/*.html as byte arrays and TB_ASSETS (served by Boot.asset())
// Usage: node scripts/gen-board.mjs [--out DIR] [--web DIR]
// The layout checks are host/layout.ts's (regions on sector boundaries, inside flash, no overlap).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : dflt;
}

const OUT = arg("--out", path.join(ROOT, "build", "boards"));
const WEB = arg("--web", path.join(ROOT, "build", "web"));

const readJson = (f) => JSON.parse(fs.readFileSync(f, "utf8"));
const ident = (s) => s.replace(/[^A-Za-z0-9]/g, "_").toLowerCase();
const hex = (n) => "0x" + (n >>> 0).toString(16).toUpperCase().padStart(8, "0") + "u";
const cstr = (s) => JSON.stringify(String(s)); // JSON string syntax is valid C for printable ASCII

function fail(msg) {
  console.error(`gen-board: ${msg}`);
  process.exit(1);
}

function writeIfChanged(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
  fs.writeFileSync(file, text);
}

function board(layout, name) {
  const b = layout.boards[name];
  const chip = layout.chips[b.chip];
  if (!chip) fail(`board ${name}: unknown chip '${b.chip}'`);
  const file = fs.existsSync(path.join(ROOT, "boards", name + ".json")) ? readJson(path.join(ROOT, "boards", name + ".json")) : {};
  const base = Number(chip.flashBase);
  const sectors = [];
  let addr = base;
  for (const k of chip.sectorsKiB) {
    const ms = chip.timing?.eraseMs?.[String(k)] ?? 1000;
    sectors.push({ addr, size: k * 1024, ms });
    addr += k * 1024;
  }
  if (addr - base !== chip.flashSize) fail(`chip ${b.chip}: sectors add up to ${addr - base}, not ${chip.flashSize}`);
  const region = (what, range) => {
    if (!range) return { addr: 0, size: 0 };
    const first = range[0], last = range.length > 1 ? range[1] : range[0];
    if (!sectors[first] || !sectors[last] || last < first) fail(`board ${name}: ${what} sectors ${range} out of range`);
    return { addr: sectors[first].addr, size: sectors[last].addr + sectors[last].size - sectors[first].addr };
  };
  const boot = region("bootloader", b.bootloader);
  if (boot.addr !== base) fail(`board ${name}: the bootloader must start at the flash base`);
  const modes = ["direct", "staged"].map((m) => {
    const r = b[m];
    if (!r) return null;
    const l = { app: region(m + " app", r.app), staging: region(m + " staging", r.staging), scratch: region(m + " scratch", r.scratch), record: region(m + " record", r.record) };
    const all = [boot, l.app, l.staging, l.scratch, l.record].filter((x) => x.size);
    for (let i = 0; i < all.length; i++)
      for (let j = i + 1; j < all.length; j++)
        if (all[i].addr < all[j].addr + all[j].size && all[j].addr < all[i].addr + all[i].size) fail(`board ${name}: regions overlap in '${m}' mode`);
    if (m === "staged" && (!l.staging.size || !l.scratch.size || !l.record.size)) fail(`board ${name}: staged mode needs staging, scratch and record sectors`);
    return l;
  });
  if (!modes[b.mode === "staged" ? 1 : 0]) fail(`board ${name}: no layout for its default mode '${b.mode}'`);
  return { name, id: ident(name), file, chip: b.chip, chipInfo: chip, base, sectors, boot, modes, defaultMode: b.mode === "staged" ? 1 : 0 };
}

/** boards/<name>.json "ethernet" as an initializer of tb_eth_config_t (firmware/port/stm32f4/eth.h, the
 * same field order): PHY kind, PHY address, RMII, PHY clock on MCO1, pin count, pins as (port << 4) | pin. */
function ethInit(x) {
  const e = x.file.ethernet;
  if (!e) return "";
  const phys = { DP83848: "TB_PHY_DP83848", LAN8742A: "TB_PHY_LAN8742A" };
  if (!phys[e.phy]) fail(`board ${x.name}: ethernet.phy '${e.phy}' is not one of ${Object.keys(phys).join(", ")}`);
  if (!["MII", "RMII"].includes(e.interface)) fail(`board ${x.name}: ethernet.interface must be MII or RMII`);
  if (!Number.isInteger(e.phyAddress) || e.phyAddress < 0 || e.phyAddress > 31) fail(`board ${x.name}: ethernet.phyAddress must be 0..31`);
  if (e.clock !== undefined && e.clock !== "MCO1 PA8") fail(`board ${x.name}: ethernet.clock must be "MCO1 PA8" or absent`);
  const pins = (e.pins || []).map((p) => {
    const m = /^P([A-I])([0-9]|1[0-5])$/.exec(p);
    if (!m) fail(`board ${x.name}: ethernet pin '${p}' is not PA0..PI15`);
    return "0x" + (((m[1].charCodeAt(0) - 65) << 4) | Number(m[2])).toString(16).padStart(2, "0") + "u";
  });
  if (!pins.length || pins.length > 24 || new Set(pins).size !== pins.length) fail(`board ${x.name}: ethernet.pins must list 1..24 distinct pins`);
  return `
/* Ethernet (boards/${x.name}.json): a tb_eth_config_t initializer (port/stm32f4/eth.h) */
#define TB_ETH_${x.id.toUpperCase()} {${phys[e.phy]}, ${e.phyAddress}u, ${e.interface === "RMII" ? 1 : 0}u, ${e.clock ? 1 : 0}u, ${pins.length}u, {${pins.join(", ")}}}
`;
}

/** When the boot policy checks payload CRCs: "always" (default) or "unconfirmed" (src/boot/boot.ts). */
function verifyAtBoot(x) {
  const v = x.file.verifyAtBoot ?? "always";
  if (v !== "always" && v !== "unconfirmed") fail(`board ${x.name}: "verifyAtBoot" must be "always" or "unconfirmed", not '${v}'`);
  return v;
}

function boardHeader(x, layout) {
  const region = (r) => `{${hex(r.addr)}, ${hex(r.size)}}`;
  const mode = (l) => (l ? `{1, ${region(l.app)}, ${region(l.staging)}, ${region(l.scratch)}, ${region(l.record)}}` : "{0, {0, 0}, {0, 0}, {0, 0}, {0, 0}}");
  const guard = `TB_BOARD_${x.id.toUpperCase()}_H`;
  return `/* Generated by scripts/gen-board.mjs from flash-layout.json and boards/${x.name}.json: do not edit. */
#ifndef ${guard}
#define ${guard}

#include "board.h"

static const tb_sector_t tb_sectors_${x.id}[${x.sectors.length}] = {
${x.sectors.map((s, i) => `  {${hex(s.addr)}, ${hex(s.size)}, ${s.ms}}, /* sector ${i}: ${s.size / 1024} KiB */`).join("\n")}
};

static const tb_board_t tb_board_${x.id} = {
  ${cstr(x.name)},
  ${cstr(x.file.title || x.name)},
  ${cstr(x.chip)},
  ${x.file.id ?? 0}u, /* board id in image headers */
  ${hex(x.base)}, ${x.chipInfo.flashSize}u,
  ${layout.headerSize}u, /* image header size */
  ${x.file.trialAttempts ?? 3}u, /* trial attempts */
  ${x.chipInfo.timing?.wordProgramUs ?? 16}u, /* word program, us */
  ${x.defaultMode === 1 ? "TB_MODE_STAGED" : "TB_MODE_DIRECT"},
  ${(x.file.leds || []).length}u, /* LEDs */
  ${verifyAtBoot(x) === "always" ? 1 : 0}u, /* verifyAtBoot: ${verifyAtBoot(x)} */
  ${x.sectors.length}u,
  tb_sectors_${x.id},
  ${region(x.boot)}, /* bootloader */
  {${mode(x.modes[0])}, /* direct */
   ${mode(x.modes[1])}}, /* staged */
};
${ethInit(x)}
#endif
`;
}

function assetsHeader(files) {
  const arrays = files.map((f) => {
    const data = fs.readFileSync(path.join(WEB, f));
    const lines = [];
    for (let i = 0; i < data.length; i += 20) lines.push("  " + Array.from(data.subarray(i, i + 20), (b) => b + ",").join(""));
    return `static const uint8_t tb_asset_${ident(f)}[${data.length || 1}] = {\n${lines.join("\n") || "  0"}\n};`;
  });
  return `/* Generated by scripts/gen-board.mjs from build/web/: do not edit. */
#ifndef TB_WEB_ASSETS_H
#define TB_WEB_ASSETS_H

#include <stdint.h>

#include "board.h"

${arrays.join("\n\n")}

static const tb_asset_t tb_assets[${files.length || 1}] = {
${files.map((f) => `  {${cstr(f)}, tb_asset_${ident(f)}, ${fs.statSync(path.join(WEB, f)).size}u},`).join("\n") || "  {0, 0, 0},"}
};
#define TB_NASSETS ${files.length}u

#endif
`;
}

const layout = readJson(path.join(ROOT, "flash-layout.json"));
fs.mkdirSync(OUT, { recursive: true });
const boards = Object.keys(layout.boards).map((n) => board(layout, n));
for (const x of boards) writeIfChanged(path.join(OUT, x.name + ".h"), boardHeader(x, layout));
writeIfChanged(
  path.join(OUT, "boards.h"),
  `/* Generated by scripts/gen-board.mjs: every board of flash-layout.json. */
#ifndef TB_BOARDS_H
#define TB_BOARDS_H

${boards.map((x) => `#include "${x.name}.h"`).join("\n")}

#define TB_BOARDS {${boards.map((x) => `&tb_board_${x.id}`).join(", ")}}
#define TB_NBOARDS ${boards.length}u

#endif
`,
);
const pages = fs.existsSync(WEB) ? fs.readdirSync(WEB).filter((f) => /^[a-z0-9-]+\.[a-z]+$/.test(f)).sort() : [];
writeIfChanged(path.join(OUT, "web_assets.h"), assetsHeader(pages));
console.log(`gen-board: ${boards.map((x) => x.name).join(", ")}; ${pages.length} web assets -> ${path.relative(ROOT, OUT)}/`);
