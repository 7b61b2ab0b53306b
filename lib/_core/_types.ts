// Types shared across the core and the parts. Public types that several
// files need live here, so that no file imports another only for a type
// (which is how import cycles start).

/** What kind of wait a suspended task is in (debug mode, traces, virtual time). */
export type WaitKind =
  | "sleep"
  | "promise"
  | "park"
  | "future"
  | "group"
  | "stream"
  | "worker"
  | "process"
  | "remote"
  | "http"
  | "signal";
