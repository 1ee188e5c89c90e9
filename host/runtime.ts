/**
 * Runs an ES5 bundle from build/bundle/ on Node the way the chip's runtime runs it: the bundle
 * sees only require() of the platform modules, E, setTimeout/clearTimeout and console.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./layout";
import type { Platform } from "../src/platform/contract";

export function bundlePath(name: "boot" | "update"): string {
  return path.join(ROOT, "build", "bundle", name + ".js");
}

export function loadBundle(name: "boot" | "update", p: Platform): any {
  const file = bundlePath(name);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run 'npm run build'`);
  const src = fs.readFileSync(file, "utf8");
  const global = /^var (\w+)\s*=/.exec(src);
  if (!global) throw new Error(`${file} does not define its entry object`);
  const modules: Record<string, unknown> = { Flash: p.flash, dgram: p.dgram, net: p.net, Boot: p.boot };
  const require = (n: string) => {
    if (!(n in modules)) throw new Error(`module '${n}' is not provided by the runtime`);
    return modules[n];
  };
  const console = { log: (...a: unknown[]) => p.boot.log(a.join(" ")) };
  const run = new Function("require", "E", "setTimeout", "clearTimeout", "console", `${src}\nreturn ${global[1]};`);
  return run(require, p.E, p.setTimeout, p.clearTimeout, console);
}
