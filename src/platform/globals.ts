/** The Platform built from the runtime's globals and built-in modules (device side only). */
import type { Platform } from "./contract";

export function platform(): Platform {
  return {
    flash: require("Flash"),
    dgram: require("dgram"),
    net: require("net"),
    boot: require("Boot"),
    E: E,
    // The runtime's timer functions do not depend on `this`.
    setTimeout: setTimeout,
    clearTimeout: clearTimeout,
    atob: atob,
  };
}
