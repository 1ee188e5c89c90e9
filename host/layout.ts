/**
 * Boards are data: flash-layout.json (chips, sectors, regions per board and mode) and boards/*.json
 * (pins, ids, network). This turns them into the BoardInfo the logic sees and the sector map the
 * flash model uses, and checks the layout is sane (regions inside flash, on sector boundaries,
 * not overlapping, slots of a swap made of equal sectors).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BoardInfo, Region } from "../src/platform/contract";

// build/host/host/layout.js -> the repository root
export const ROOT = path.resolve(__dirname, "..", "..", "..");

export interface Sector {
  index: number;
  addr: number;
  size: number;
}

export interface ChipTiming {
  wordProgramUs: number;
  eraseMs: Record<string, number>;
}

export interface BoardLayout {
  info: BoardInfo;
  chip: string;
  flashBase: number;
  flashSize: number;
  sectors: Sector[];
  timing: ChipTiming;
  /** The board file as written (pins, network ...). */
  file: Record<string, any>;
}

function readJson(file: string): any {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

export function boardNames(): string[] {
  return Object.keys(readJson(path.join(ROOT, "flash-layout.json")).boards);
}

export class LayoutError extends Error {}

export function loadBoard(name: string, mode?: "direct" | "staged"): BoardLayout {
  const layout = readJson(path.join(ROOT, "flash-layout.json"));
  const b = layout.boards[name];
  if (!b) throw new LayoutError(`unknown board '${name}' (known: ${Object.keys(layout.boards).join(", ")})`);
  const chip = layout.chips[b.chip];
  if (!chip) throw new LayoutError(`board ${name}: unknown chip '${b.chip}'`);
  const boardFile = path.join(ROOT, "boards", name + ".json");
  const file = fs.existsSync(boardFile) ? readJson(boardFile) : {};
  const flashBase = Number(chip.flashBase);
  const sectors: Sector[] = [];
  let addr = flashBase;
  (chip.sectorsKiB as number[]).forEach((k, index) => {
    sectors.push({ index, addr, size: k * 1024 });
    addr += k * 1024;
  });
  if (addr - flashBase !== chip.flashSize) throw new LayoutError(`chip ${b.chip}: sectors add up to ${addr - flashBase}, not ${chip.flashSize}`);
  const m: "direct" | "staged" = mode || b.mode;
  const regions = b[m];
  if (!regions) throw new LayoutError(`board ${name} has no '${m}' layout`);
  const region = (what: string, range: number[] | undefined): Region | undefined => {
    if (!range) return undefined;
    const first = range[0];
    const last = range.length > 1 ? range[1] : range[0];
    if (!sectors[first] || !sectors[last] || last < first) throw new LayoutError(`board ${name}: ${what} sectors ${range} out of range`);
    return { addr: sectors[first].addr, size: sectors[last].addr + sectors[last].size - sectors[first].addr };
  };
  const info: BoardInfo = {
    name,
    id: file.id ?? 0,
    mode: m,
    headerSize: layout.headerSize,
    trialAttempts: file.trialAttempts ?? 3,
    verifyAtBoot: file.verifyAtBoot === "unconfirmed" ? "unconfirmed" : "always",
    bootloader: region("bootloader", b.bootloader)!,
    app: region("app", regions.app)!,
    staging: region("staging", regions.staging),
    scratch: region("scratch", regions.scratch),
    record: region("record", regions.record),
  };
  if (!info.app) throw new LayoutError(`board ${name}: no application slot in '${m}' mode`);
  if (m === "staged" && (!info.staging || !info.scratch || !info.record)) throw new LayoutError(`board ${name}: staged mode needs staging, scratch and record sectors`);
  const all = [info.bootloader, info.app, info.staging, info.scratch, info.record].filter(Boolean) as Region[];
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++)
      if (all[i].addr < all[j].addr + all[j].size && all[j].addr < all[i].addr + all[i].size) throw new LayoutError(`board ${name}: regions overlap in '${m}' mode`);
  if (info.bootloader.addr !== flashBase) throw new LayoutError(`board ${name}: the bootloader must start at the flash base`);
  if (info.staging) {
    const sizesOf = (r: Region) => sectors.filter((s) => s.addr >= r.addr && s.addr < r.addr + r.size).map((s) => s.size);
    const a = sizesOf(info.app), s = sizesOf(info.staging);
    if (a.length !== s.length || a.some((v, i) => v !== s[i])) throw new LayoutError(`board ${name}: app and staging slots must have the same sectors for a swap`);
    if (Math.max(...a) > info.scratch!.size) throw new LayoutError(`board ${name}: scratch smaller than a slot sector`);
  }
  return { info, chip: b.chip, flashBase, flashSize: chip.flashSize, sectors, timing: chip.timing, file };
}
