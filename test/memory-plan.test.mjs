// The chip builds against their budgets, from their linker maps (npm test builds all three boards):
// each bootloader fits sectors 0-5, and the emulated board qemu-mps2-an386 has the STM324xG-EVAL's
// JS heap (never more) (SRAM region + CCM region), lwIP and stack, so an out-of-memory on QEMU
// is one on the F407.
import test from "node:test";
import assert from "node:assert/strict";
import { sizeReport } from "../scripts/size-report.mjs";

const HEAP_SRAM = "JS heap (main region, SRAM)";
const HEAP_CCM = "JS heap (extra region, CCM: formatted only when SRAM runs out)";

test("every chip build fits the bootloader's 256 KB (sectors 0-5)", () => {
  for (const board of ["stm324xg-eval", "nucleo-f429zi", "qemu-mps2-an386"]) {
    const r = sizeReport(board);
    assert.equal(r.budget, 256 * 1024, board);
    assert.ok(r.flashTotal > 100 * 1024 && r.flashTotal <= r.budget, `${board}: ${r.flashTotal} bytes`);
  }
});

test("qemu-mps2-an386 has the STM324xG-EVAL's JS heap, lwIP and stack", () => {
  const eval_ = sizeReport("stm324xg-eval"), qemu = sizeReport("qemu-mps2-an386");
  const heap = (r) => r.ram[HEAP_SRAM] + r.ccm[HEAP_CCM];
  assert.ok(heap(eval_) > 100 * 1024, `EVAL heap ${heap(eval_)}`);
  // Never larger than the EVAL's (the drivers' own .bss differs by a few bytes).
  const d = heap(eval_) - heap(qemu);
  assert.ok(d >= 0 && d < 512, `JS heap (SRAM + CCM regions): EVAL ${heap(eval_)}, QEMU ${heap(qemu)}`);
  assert.equal(qemu.ram["lwIP (stack + glue)"], eval_.ram["lwIP (stack + glue)"], "lwIP");
  assert.equal(qemu.ram.stack, eval_.ram.stack, "stack");
});
