/**
 * Globals the on-chip runtime (and its Node and duk stand-ins) provide to the bundles.
 * Only entry files (src/entry/) use them; every other module takes a Platform.
 *
 * Why not @types/espruino alone: it types Flash as a global namespace (our runtime gives it as
 * require("Flash")), returns `any` from getPage/getFree/read, has no dgram/net module, no
 * E.CRC32 or E.toString (Espruino has both), no Boot module, and declares dozens of globals (Serial1, SPI1, ...) that this
 * runtime does not have. test/types/espruino-conformance.ts checks at compile time that our
 * Flash and E signatures stay assignable to @types/espruino's where Espruino has the concept.
 */
import type { FlashModule, DgramModule, NetModule, BootModule, EModule, TimerId } from "./contract";

declare global {
  function require(name: "Flash"): FlashModule;
  function require(name: "dgram"): DgramModule;
  function require(name: "net"): NetModule;
  function require(name: "Boot"): BootModule;
  var E: EModule;
  function setTimeout(fn: () => void, ms: number): TimerId;
  function clearTimeout(id: TimerId): void;
  function atob(base64: string): string;
}
export {};
