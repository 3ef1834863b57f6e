// What workerd hands a Worker for an imported .wasm file: a module compiled at deploy time.
declare module '*.wasm' {
  const module: WebAssembly.Module
  export default module
}
