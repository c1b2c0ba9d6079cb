// Preloaded into the Prisma CLI (node --require) by tests that run many
// `prisma migrate deploy`s (test_faults.py).
//
// In the test setup (the schema engine as WebAssembly, see
// ../shared/notes/environment.md) every deploy that takes Prisma's advisory
// lock arms a 10 s timer for the lock's timeout and leaves it armed after the
// lock is granted, so the process lingers 10 s after its work is done. That
// timer is made unref'd here: it still fires, and still ends a deploy with
// P1002, while anything else (the lock's query, the database connection)
// keeps the process alive; it alone no longer does. Nothing else changes.
"use strict";

const LOCK_TIMEOUT_MS = 10000;
const originalSetTimeout = global.setTimeout;

global.setTimeout = function setTimeout(callback, ms, ...args) {
  const timer = originalSetTimeout(callback, ms, ...args);
  if (ms === LOCK_TIMEOUT_MS && timer && typeof timer.unref === "function") timer.unref();
  return timer;
};
