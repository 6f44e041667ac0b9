import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Counts of what the clients behind a counting proxy sent. Round trips and commands are counted on
 * the wire, so they do not drift with the machine's speed or load the way times do.
 */
export interface WireCounts {
  /**
   * Times the client waited for the server: a write after an answer came back. What a client writes
   * before waiting for any answer shares one trip (Redis pipelines; Postgres pipeline mode, where
   * BEGIN, a statement and COMMIT can go out together).
   */
  roundTrips: number;
  /**
   * Redis: top-level commands (one RESP array each). Postgres: Sync plus simple Query messages, the
   * points where the server answers (an extended-protocol statement ends with one Sync).
   */
  commands: number;
  connections: number;
  /** Connections whose stream could not be followed (TLS, or a protocol error): their counts are missing. */
  unparsed: number;
}

/** Follows the client → server half of one connection. */
interface StreamCounter {
  /** Bytes the client sent; returns false once the stream cannot be followed any more. */
  client(chunk: Buffer): boolean;
  /** Bytes the server sent. */
  server(chunk: Buffer): boolean;
  roundTrips: number;
  commands: number;
}

// Longest RESP header line a client writes: a type byte, a 64-bit count and CRLF. A longer line is
// not RESP from a client library; the counter gives up on that connection instead of buffering it.
const MAX_RESP_LINE = 32;

/**
 * RESP as client libraries write it: each command is an array of bulk strings (`*N`, then N times
 * `$len` + payload). Payloads are skipped by length, never buffered, so memory stays bounded
 * whatever the values' sizes. Inline commands (a bare text line) count as one command each.
 */
export function createRespCounter(): StreamCounter {
  let line = '';
  let skip = 0; // payload bytes (plus CRLF) still to skip
  // Elements still expected at each nesting level; empty between commands.
  const pending: number[] = [];
  // Inside an inline command: everything up to the next line feed belongs to it.
  let inline = false;
  let repliedSinceWrite = true;
  let broken = false;

  const finishElement = () => {
    while (pending.length > 0) {
      const left = (pending[pending.length - 1] as number) - 1;
      if (left > 0) {
        pending[pending.length - 1] = left;
        return;
      }
      pending.pop();
    }
  };

  /** One header line of an element inside a command; false when it is not RESP. */
  const element = (header: string): boolean => {
    const type = header[0];
    const size = Number(header.slice(1));
    if (type === '$' || type === '*') {
      if (!Number.isInteger(size)) return false;
      if (size <= 0) finishElement();
      else if (type === '$') skip = size + 2;
      else pending.push(size);
      return true;
    }
    // A one-line element (:int, +simple): clients do not send them, but they are easy to follow.
    finishElement();
    return true;
  };

  const counter: StreamCounter = {
    roundTrips: 0,
    commands: 0,
    server() {
      repliedSinceWrite = true;
      return !broken;
    },
    client(chunk) {
      if (broken) return false;
      if (repliedSinceWrite) {
        counter.roundTrips += 1;
        repliedSinceWrite = false;
      }
      let i = 0;
      while (i < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          if (skip === 0) finishElement();
          continue;
        }
        if (!inline && pending.length === 0 && line === '') {
          const first = chunk[i];
          if (first === 0x0d || first === 0x0a) {
            i += 1; // a stray line break between commands
            continue;
          }
          counter.commands += 1;
          if (first !== 0x2a) inline = true; // not '*': an inline command, a text line
        }
        const nl = chunk.indexOf(0x0a, i);
        const end = nl === -1 ? chunk.length : nl;
        if (!inline) {
          line += chunk.toString('latin1', i, end);
          if (line.length > MAX_RESP_LINE) broken = true;
        }
        i = nl === -1 ? chunk.length : nl + 1;
        if (broken) return false;
        if (nl === -1) break;
        if (inline) {
          inline = false;
          continue;
        }
        const header = line.endsWith('\r') ? line.slice(0, -1) : line;
        line = '';
        if (pending.length === 0) {
          // The command's own header: *N.
          const size = Number(header.slice(1));
          if (!Number.isInteger(size)) broken = true;
          else if (size > 0) pending.push(size);
        } else if (!element(header)) broken = true;
        if (broken) return false;
      }
      return true;
    },
  };
  return counter;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * The Postgres frontend protocol (v3): untyped start-up messages (an SSL or GSS encryption request,
 * then the StartupMessage), then typed messages of one type byte and a length that includes itself.
 * Bodies are skipped by length. A connection that switches to TLS cannot be followed; it counts as
 * unparsed (node-postgres only asks for TLS when the URL's sslmode does).
 */
export function createPostgresCounter(): StreamCounter {
  let started = false; // past the StartupMessage
  let awaitingEncryptionAnswer = false;
  let header = Buffer.alloc(0);
  let skip = 0;
  let broken = false;
  let repliedSinceTrip = true;
  const counter: StreamCounter = {
    roundTrips: 0,
    commands: 0,
    server(chunk) {
      repliedSinceTrip = true;
      if (awaitingEncryptionAnswer && chunk.length > 0) {
        awaitingEncryptionAnswer = false;
        // 'N': go on in the clear. Anything else ('S', 'G'): the rest is encrypted.
        if (chunk[0] !== 0x4e) broken = true;
      }
      return !broken;
    },
    client(chunk) {
      let i = 0;
      while (!broken && i < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - i);
          skip -= n;
          i += n;
          continue;
        }
        const want = started ? 5 : 8;
        const take = Math.min(want - header.length, chunk.length - i);
        header = Buffer.concat([header, chunk.subarray(i, i + take)]);
        i += take;
        if (header.length < want) break;
        if (started) {
          const type = header[0];
          const length = header.readUInt32BE(1);
          if (length < 4) broken = true;
          if (type === 0x53 || type === 0x51) {
            // 'S' Sync, 'Q' Query: the server answers here. A new trip unless the client is still
            // writing without having waited for an answer (pipelined).
            counter.commands += 1;
            if (repliedSinceTrip) counter.roundTrips += 1;
            repliedSinceTrip = false;
          }
          skip = length - 4;
        } else {
          const length = header.readUInt32BE(0);
          const code = header.readUInt32BE(4);
          if (length < 8) broken = true;
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) awaitingEncryptionAnswer = true;
          else started = true;
          skip = length - 8;
        }
        header = Buffer.alloc(0);
      }
      return !broken;
    },
  };
  return counter;
}

export interface CountingProxy {
  port: number;
  /** The target URL with its port replaced by the proxy's. */
  url(targetUrl: string): string;
  counts(): WireCounts;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 that forwards bytes unchanged and counts what the clients send, for the
 * bench's short count runs (never during a throughput measurement: every byte takes an extra hop).
 * Bounded: at most `maxConnections` at once (more are refused), and close() ends every connection.
 */
export async function startCountingProxy(opts: {
  protocol: 'postgres' | 'redis';
  targetPort: number;
  targetHost?: string;
  maxConnections?: number;
}): Promise<CountingProxy> {
  const maxConnections = opts.maxConnections ?? 200;
  const open = new Set<{ client: Socket; upstream: Socket }>();
  const counters: StreamCounter[] = [];
  let unparsed = 0;
  let closed = false;
  const server: Server = createServer((client) => {
    if (closed || open.size >= maxConnections) {
      client.destroy();
      return;
    }
    const upstream = connect(opts.targetPort, opts.targetHost ?? '127.0.0.1');
    const pair = { client, upstream };
    open.add(pair);
    const counter = opts.protocol === 'postgres' ? createPostgresCounter() : createRespCounter();
    counters.push(counter);
    let following = true;
    const lost = () => {
      if (following) unparsed += 1;
      following = false;
    };
    const drop = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
    // Back-pressure both ways, so a slow side cannot make the proxy buffer without bound.
    client.on('data', (chunk: Buffer) => {
      if (following && !counter.client(chunk)) lost();
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (following && !counter.server(chunk)) lost();
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('counting proxy has no port');
  const port = address.port;
  return {
    port,
    url(targetUrl) {
      const u = new URL(targetUrl);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    counts() {
      return {
        roundTrips: counters.reduce((sum, c) => sum + c.roundTrips, 0),
        commands: counters.reduce((sum, c) => sum + c.commands, 0),
        connections: counters.length,
        unparsed,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What happened between two snapshots of a proxy's counts. */
export function countsSince(before: WireCounts, after: WireCounts): WireCounts {
  return {
    roundTrips: after.roundTrips - before.roundTrips,
    commands: after.commands - before.commands,
    connections: after.connections - before.connections,
    unparsed: after.unparsed - before.unparsed,
  };
}
