// Imported first by a benchmark program: when its first line ran. The cold figure runs from
// here to the end of the workload's run() (module loading, loop creation and JIT warm-up
// included; Node's own start-up, like CPython's interpreter start-up, not). An export the
// program uses, not a bare side-effect import: the package says it has no side effects,
// so a bundler would drop a bare one.
export const FIRST_LINE_MS = performance.now();
