// Ambient declarations for documentation samples that are deliberately fragments.
//
// `scripts/docs/check-samples.mjs` copies this file next to the samples it type-checks. Declare a name
// here only when a sample is meant to be a fragment of a larger program, and give it the real type
// from the packages (e.g. `declare const transport: import('@admitone/core').Transport;`). Prefer
// complete samples: a complete sample also proves its imports and set-up.
//
// (Nothing is declared yet: every checked sample is complete.)
