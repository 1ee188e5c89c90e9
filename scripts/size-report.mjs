// Flash and RAM of a chip build by component, from its linker map (build/<board>/typeboot.map):
//   flash: Duktape, lwIP (stack + glue), runtime (firmware/core), drivers (the port), libc (newlib-nano,
//          libm, libgcc), bytecode (boot bundle), update bundle (ES5 source), assets (web pages),
//          against the bootloader's region (sectors 0-5: 256 KB);
//   RAM:   the same components' .data/.bss, Ethernet DMA buffers, JS heap (SRAM part and CCM part),
//          stack.
// Usage: node scripts/size-report.mjs --board NAME [--markdown] [--json]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function component(file, section) {
  if (/tb_asset_/.test(section)) return "assets";
  if (/tb_bundle_boot/.test(section)) return "bytecode (boot bundle)";
  if (/tb_bundle_update/.test(section)) return "update bundle (ES5 source)";
  if (/\/obj\/duktape\.o$/.test(file)) return "Duktape";
  if (/\/obj\/lwip\/|\/obj\/port\/lwip\//.test(file)) return "lwIP (stack + glue)";
  if (/\/obj\/core\/|typeboot_sprintf\.o$/.test(file)) return "runtime";
  if (/\/obj\/port\//.test(file)) return "drivers (port)";
  if (/\.a\(/.test(file) || /lib(c|m|gcc|nosys)/.test(file)) return "libc (newlib-nano, libm, libgcc)";
  return "other";
}

export function sizeReport(board) {
  const map = fs.readFileSync(path.join(ROOT, "build", board, "typeboot.map"), "utf8");
  const body = map.slice(map.indexOf("Linker script and memory map"));
  const lines = body.split("\n");
  const layout = JSON.parse(fs.readFileSync(path.join(ROOT, "flash-layout.json"), "utf8"));
  const b = layout.boards[board], chip = layout.chips[b.chip];
  const budget = chip.sectorsKiB.slice(0, b.bootloader[1] + 1).reduce((x, k) => x + k * 1024, 0);
  const bf = JSON.parse(fs.readFileSync(path.join(ROOT, "boards", board + ".json"), "utf8"));
  const ramBytes = bf.memory.ram.kib * 1024, ccmBytes = (bf.memory.ccm?.kib || 0) * 1024;
  const flashBase = Number(chip.flashBase), ramBase = Number(bf.memory.ram.origin);
  const flash = {}, ram = {}, sym = {};
  const add = (t, k, n) => (t[k] = (t[k] || 0) + n);
  for (let i = 0; i < lines.length; i++) {
    let m = /^ (\.[\w.$]+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(lines[i]);
    if (!m) {
      const name = /^ (\.[\w.$]+|COMMON)\s*$/.exec(lines[i]);
      const next = name && /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(lines[i + 1] || "");
      if (next) m = [null, name[1], next[1], next[2], next[3]];
    }
    const s = /^\s+0x([0-9a-f]+)\s+(_[A-Za-z_]+) = /.exec(lines[i]);
    if (s) sym[s[2]] = parseInt(s[1], 16);
    if (!m) continue;
    const [, section, a, n] = m, addr = parseInt(a, 16), size = parseInt(n, 16), file = m[4].trim();
    if (!size || /^\.(debug|comment|ARM\.attributes|stab)/.test(section)) continue; // not loaded (address 0)
    const c = component(file, section);
    const inFlash = addr >= flashBase && addr < flashBase + budget;
    const inRam = addr >= ramBase && addr < ramBase + ramBytes;
    if (inFlash) add(flash, c, size);
    if (inRam && /^\.data/.test(section)) add(flash, c, size); // loaded from flash
    if (inRam) add(ram, /dma_buffers/.test(section) ? "Ethernet DMA descriptors and buffers" : c, size);
  }
  const stack = (bf.memory.stackKiB ?? 8) * 1024;
  if (sym._heap_sram_start !== undefined && sym._heap_sram_end !== undefined) ram["JS heap (main region, SRAM)"] = sym._heap_sram_end - sym._heap_sram_start;
  ram["stack"] = stack;
  const ccm = { "JS heap (extra region, CCM: formatted only when SRAM runs out)": (sym._ccm_end ?? 0) - (sym._ccm_start ?? 0) };
  return { board, flash, flashTotal: Object.values(flash).reduce((x, y) => x + y, 0), budget, ram, ramBytes, ccm, ccmBytes };
}

const kb = (n) => (n / 1024).toFixed(1);

export function formatReport(r, markdown = false) {
  const rows = (t) => Object.entries(t).sort((a, b) => b[1] - a[1]);
  const out = [];
  if (markdown) {
    out.push(`| ${r.board}: flash | bytes | KiB |`, "|---|---:|---:|");
    for (const [k, v] of rows(r.flash)) out.push(`| ${k} | ${v} | ${kb(v)} |`);
    out.push(`| **total** (budget: sectors 0-5, ${r.budget} bytes) | **${r.flashTotal}** | **${kb(r.flashTotal)}** (${((100 * r.flashTotal) / r.budget).toFixed(1)} %, ${kb(r.budget - r.flashTotal)} KiB free) |`, "");
    out.push(`| ${r.board}: RAM | bytes | KiB |`, "|---|---:|---:|");
    for (const [k, v] of rows(r.ram)) out.push(`| SRAM: ${k} | ${v} | ${kb(v)} |`);
    for (const [k, v] of rows(r.ccm)) out.push(`| CCM: ${k} | ${v} | ${kb(v)} |`);
    out.push(`| SRAM total ${kb(r.ramBytes)} KiB, CCM ${kb(r.ccmBytes)} KiB | | |`);
    return out.join("\n");
  }
  out.push(`${r.board}: flash by component (bootloader region ${r.budget} bytes)`);
  for (const [k, v] of rows(r.flash)) out.push(`  ${k.padEnd(40)} ${String(v).padStart(7)} B`);
  out.push(`  ${"total".padEnd(40)} ${String(r.flashTotal).padStart(7)} B  ${((100 * r.flashTotal) / r.budget).toFixed(1)} % of the budget, ${r.budget - r.flashTotal} B free`);
  out.push(`${r.board}: RAM (SRAM ${r.ramBytes} B, CCM ${r.ccmBytes} B)`);
  for (const [k, v] of rows(r.ram)) out.push(`  SRAM ${k.padEnd(50)} ${String(v).padStart(7)} B`);
  for (const [k, v] of rows(r.ccm)) out.push(`  CCM  ${k.padEnd(50)} ${String(v).padStart(7)} B`);
  return out.join("\n");
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const i = process.argv.indexOf("--board");
  if (i < 0 || !process.argv[i + 1]) {
    console.error("usage: node scripts/size-report.mjs --board NAME [--markdown] [--json]");
    process.exit(2);
  }
  const r = sizeReport(process.argv[i + 1]);
  console.log(process.argv.includes("--json") ? JSON.stringify(r, null, 2) : formatReport(r, process.argv.includes("--markdown")));
}
