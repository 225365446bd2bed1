/**
 * The lab host sends `{ op: 'heartbeat' }` this often. A page that hears nothing for MISSED_HEARTBEATS of them
 * treats the host as gone (a machine that vanished without closing the socket).
 */
export const HEARTBEAT_MS = 20_000;
export const MISSED_HEARTBEATS = 2.5;
