import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresCounter, createRespCounter, startCountingProxy } from './wire-count.js';

const resp = (...args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** Feeds a stream in pieces of `size` bytes, as TCP may cut it anywhere. */
function feed(counter: { client(chunk: Buffer): boolean }, bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) expect(counter.client(bytes.subarray(i, i + size))).toBe(true);
}

describe('createRespCounter', () => {
  it('counts each command once however the stream is cut, and a batch as one round trip', () => {
    const batch = Buffer.from(
      resp('EVALSHA', 'abc', '1', 'key', 'x'.repeat(5000)) +
        resp('SET', 'k', 'v\r\n*9\r\n', 'NX') +
        resp('PING'),
    );
    for (const size of [1, 2, 7, 64, batch.length]) {
      const c = createRespCounter();
      feed(c, batch, size);
      expect({ commands: c.commands, roundTrips: c.roundTrips }).toEqual({ commands: 3, roundTrips: 1 });
    }
  });

  it('starts a new round trip only when the client writes after an answer', () => {
    const c = createRespCounter();
    c.client(Buffer.from(resp('GET', 'a')));
    c.client(Buffer.from(resp('GET', 'b'))); // pipelined: no answer in between
    c.server(Buffer.from('$1\r\n1\r\n$1\r\n2\r\n'));
    c.client(Buffer.from(resp('GET', 'c')));
    expect({ commands: c.commands, roundTrips: c.roundTrips }).toEqual({ commands: 3, roundTrips: 2 });
  });

  it('follows null bulk strings and nested arrays, counts inline commands, refuses what is not RESP', () => {
    const c = createRespCounter();
    feed(c, Buffer.from(`*3\r\n$3\r\nSET\r\n*2\r\n$1\r\na\r\n$-1\r\n:5\r\nPING\r\n${resp('GET', 'x')}`), 3);
    expect(c.commands).toBe(3);
    const bad = createRespCounter();
    expect(bad.client(Buffer.from('*x\r\n'))).toBe(false);
    const long = createRespCounter();
    expect(long.client(Buffer.from(`*${'9'.repeat(100)}`))).toBe(false);
  });
});

/** A frontend message: type byte, length (including itself), body. */
const message = (type: string, body = Buffer.alloc(0)) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const untyped = (code: number, body = Buffer.alloc(0)) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length + 8, 0);
  head.writeUInt32BE(code, 4);
  return Buffer.concat([head, body]);
};

describe('createPostgresCounter', () => {
  it('counts Sync and Query messages after the start-up, whatever the cuts; pipelined ones share a trip', () => {
    const startup = untyped(196608, Buffer.from('user\0app\0\0'));
    const extended = Buffer.concat([
      message('P', Buffer.from('\0select 1\0\0\0')),
      message('B', Buffer.alloc(12)),
      message('E', Buffer.alloc(5)),
      message('S'),
      // A Query whose text holds the bytes of another Sync: skipped by length, not counted.
      message('Q', Buffer.from('select \x53\0\0\0\x04\0')),
    ]);
    for (const size of [1, 3, 9, 1000]) {
      const c = createPostgresCounter();
      feed(c, Buffer.concat([startup, extended]), size);
      expect(c.commands).toBe(2);
      // Written without waiting for an answer: one trip.
      expect(c.roundTrips).toBe(1);
    }
    const c = createPostgresCounter();
    c.client(startup);
    c.server(Buffer.from('R\0\0\0\x08\0\0\0\0'));
    c.client(message('Q', Buffer.from('begin\0')));
    c.server(Buffer.from('C'));
    c.client(message('Q', Buffer.from('commit\0')));
    expect([c.commands, c.roundTrips]).toEqual([2, 2]);
  });

  it('goes on in the clear after a refused SSLRequest and gives up when TLS starts', () => {
    const c = createPostgresCounter();
    c.client(untyped(80877103));
    expect(c.server(Buffer.from('N'))).toBe(true);
    c.client(
      Buffer.concat([untyped(196608, Buffer.from('user\0app\0\0')), message('Q', Buffer.from('begin\0'))]),
    );
    expect(c.roundTrips).toBe(1);
    const tls = createPostgresCounter();
    tls.client(untyped(80877103));
    expect(tls.server(Buffer.from('S'))).toBe(false);
  });
});

describe('startCountingProxy', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('forwards a real Redis and Postgres unchanged and counts their commands and round trips', async () => {
    const redisProxy = await startCountingProxy({ protocol: 'redis', targetPort: 6379 });
    closers.push(() => redisProxy.close());
    const redis = new Redis(redisProxy.url('redis://127.0.0.1:6379'), { lazyConnect: true });
    await redis.connect();
    closers.push(async () => redis.disconnect());
    const before = redisProxy.counts();
    const key = `wire-count-test-${process.pid}-${Date.now()}`;
    await redis.set(key, 'x'.repeat(100_000), 'EX', 60);
    const results = await redis.pipeline().get(key).del(key).exec();
    expect(String(results?.[0]?.[1] ?? '').length).toBe(100_000);
    const after = redisProxy.counts();
    expect(after.commands - before.commands).toBe(3);
    expect(after.roundTrips - before.roundTrips).toBe(2);
    expect(after.unparsed).toBe(0);

    const pgProxy = await startCountingProxy({ protocol: 'postgres', targetPort: 5432 });
    closers.push(() => pgProxy.close());
    const client = new pg.Client({
      connectionString: pgProxy.url('postgres://postgres@127.0.0.1:5432/postgres'),
    });
    await client.connect();
    const pgBefore = pgProxy.counts();
    await client.query('begin');
    const { rows } = await client.query<{ n: number }>('select $1::int + 1 as n', [41]);
    await client.query('commit');
    await client.end();
    expect(rows[0]?.n).toBe(42);
    expect(pgProxy.counts().roundTrips - pgBefore.roundTrips).toBe(3);

    // The same transaction pipelined (pg's pipeline mode, written in one go): one trip, three commands.
    const piped = new pg.Client({
      connectionString: pgProxy.url('postgres://postgres@127.0.0.1:5432/postgres'),
      pipeline: true,
    });
    await piped.connect();
    const pipedBefore = pgProxy.counts();
    const socket = (piped as unknown as { connection: { stream: { cork(): void; uncork(): void } } })
      .connection.stream;
    socket.cork();
    const answers = Promise.all([
      piped.query('begin'),
      piped.query<{ n: number }>('select $1::int + 1 as n', [41]),
      piped.query('commit'),
    ]);
    socket.uncork();
    expect((await answers)[1].rows[0]?.n).toBe(42);
    await piped.end();
    expect(pgProxy.counts().roundTrips - pipedBefore.roundTrips).toBe(1);
    expect(pgProxy.counts().commands - pipedBefore.commands).toBe(3);
    expect(pgProxy.counts().unparsed).toBe(0);
  });

  it('refuses connections beyond its bound and ends every connection on close', async () => {
    const sink: Server = createServer((socket) => socket.on('data', () => {}));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => sink.close(() => resolve())));
    const port = (sink.address() as { port: number }).port;
    const proxy = await startCountingProxy({ protocol: 'redis', targetPort: port, maxConnections: 1 });
    const { connect } = await import('node:net');
    const open = (p: number) =>
      new Promise<{ closed: Promise<void> }>((resolve) => {
        const s = connect(p, '127.0.0.1', () =>
          resolve({ closed: new Promise<void>((done) => s.once('close', () => done())) }),
        );
        s.on('error', () => {});
      });
    const first = await open(proxy.port);
    const second = await open(proxy.port);
    await second.closed; // refused: over the bound
    await proxy.close();
    await first.closed; // ended by close()
    expect(proxy.counts().connections).toBe(1);
  });
});
