import { ErrorCodes, QuantforgeError, printable } from "@quantforge/core";
import { UsageError } from "../errors.js";

/** The job queue cannot be used: Redis unreachable, a job lost or malformed (`QF_QUEUE`, exit 2). */
export class QueueError extends QuantforgeError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.QUEUE, message, { cause });
  }
}

/** A `--queue` URL, parsed: where Redis is and which database. */
export interface QueueTarget {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** `rediss://`: TLS. */
  readonly tls: boolean;
  /** The URL without its password, for messages. */
  readonly display: string;
}

/** Default BullMQ queue name of `compare --queue` and `quantforge worker`. */
export const DEFAULT_QUEUE_NAME = "quantforge-cells";

/**
 * Parses `redis://[user[:password]@]host[:port][/db]` (or `rediss://` for TLS).
 *
 * @throws {UsageError} `QF_USAGE` for anything else: another scheme, a path that is not a
 *   database number, a port out of range, query strings.
 */
export function parseQueueUrl(raw: string): QueueTarget {
  const bad = (why: string) => new UsageError(`--queue "${printable(raw)}" ${why}. Pass redis://host:port[/db], e.g. redis://127.0.0.1:6379/0.`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw bad("is not a URL");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw bad(`has scheme "${printable(u.protocol.replace(/:$/, ""))}", not redis or rediss`);
  if (!u.hostname) throw bad("names no host");
  if (u.search || u.hash) throw bad("has a query or fragment");
  const port = u.port === "" ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad("has no valid port");
  const path = u.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d{1,5}$/.test(path)) throw bad(`has path "/${printable(path)}", not a database number`);
  const db = path === "" ? 0 : Number(path);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const display = `${u.protocol}//${username ? `${username}${password ? ":***" : ""}@` : ""}${u.host}/${db}`;
  return { host, port, db, ...(username ? { username } : {}), ...(password ? { password } : {}), tls: u.protocol === "rediss:", display };
}

/** Validates `--queue-name`: BullMQ uses it in Redis keys (no `:`). */
export function parseQueueName(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(raw)) throw new UsageError(`--queue-name "${printable(raw)}" is not a plain name (letters, digits, . _ -; at most 100). Pass e.g. --queue-name sweep-1.`);
  return raw;
}

/** How long a first connection may take before Redis counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 3000;

/**
 * ioredis options for BullMQ. `maxRetriesPerRequest: null` is what BullMQ workers require; after
 * the first connection, a dropped link is retried with a capped back-off (a worker outlives a
 * Redis restart).
 */
export function connectionOptions(t: QueueTarget): Record<string, unknown> {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username ? { username: t.username } : {}),
    ...(t.password ? { password: t.password } : {}),
    ...(t.tls ? { tls: {} } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(200 * times, 5000),
  };
}

/**
 * Connects once, with a short timeout and no retries, and pings: so an unreachable Redis is one
 * clear error instead of ioredis retrying forever. ioredis is imported here, lazily: commands that
 * do not use the queue never load it.
 *
 * @throws {QueueError} `QF_QUEUE` naming the URL when Redis does not answer.
 */
export async function probeRedis(t: QueueTarget): Promise<void> {
  const { Redis } = await import("ioredis");
  const client = new Redis({
    ...connectionOptions(t),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await Promise.race([client.connect().then(() => client.ping()), new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS + 500).unref())]);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new QueueError(`cannot reach Redis at ${t.display} (${printable(String(why))}). Start redis-server there or fix --queue.`, e);
  } finally {
    client.disconnect();
  }
}
