// Members whose names start with _ are internal to a bundle: their names are mangled too.
// Bundles each entry of src/entry/ into one minified ES5 file for Duktape (build/bundle/NAME.js).
import typescript from "@rollup/plugin-typescript";
import terser from "@rollup/plugin-terser";

const entries = { boot: "TypeBootBoot", update: "TypeBootUpdate" };

export default Object.keys(entries).map((name) => ({
  input: `src/entry/${name}.ts`,
  output: {
    file: `build/bundle/${name}.js`,
    format: "iife",
    name: entries[name],
    strict: false,
    plugins: [terser({ ecma: 5, compress: { passes: 2 }, mangle: { properties: { regex: /^_[a-z]/ } }, format: { comments: false } })],
  },
  plugins: [typescript({ tsconfig: "./tsconfig.json", noEmit: false, outDir: undefined, declaration: false, sourceMap: false })],
  onwarn(warning, warn) {
    throw new Error(`rollup: ${warning.message}`);
  },
}));
