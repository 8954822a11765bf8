/**
 * The AppSpec's lifecycle events that can run a hook. A file of its own so that RunHooks, which needs only these
 * names, does not bundle the AppSpec parser (and the YAML library) with them.
 */

/** The lifecycle events of an ECS deployment that can run a hook, in the order they happen. */
export const HOOK_EVENTS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];
