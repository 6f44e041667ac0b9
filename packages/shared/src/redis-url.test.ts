import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { effectiveQueuePrefix, parseRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('reads one node, TLS, an ACL user and password, and the database in single mode', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2', 'single')).toEqual({
      mode: 'single',
      nodes: [{ host: '127.0.0.1', port: 6380 }],
      tls: false,
      db: 2,
    });
    expect(parseRedisUrl('rediss://ai%2Dagents:p%40ss:w0rd@cache.example.net', 'single')).toEqual({
      mode: 'single',
      nodes: [{ host: 'cache.example.net', port: 6379 }],
      tls: true,
      username: 'ai-agents',
      password: 'p@ss:w0rd',
      db: 0,
    });
    // A password alone authenticates the default user.
    expect(parseRedisUrl('redis://:only-a-password@redis:6379', 'single')).toMatchObject({
      password: 'only-a-password',
    });
    expect(parseRedisUrl('redis://:only-a-password@redis:6379', 'single').username).toBeUndefined();
  });

  it('reads comma-separated seed nodes in cluster mode, IPv6 included', () => {
    expect(parseRedisUrl('rediss://app:secret@10.0.0.1:7000,10.0.0.2,[::1]:7002', 'cluster')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
        { host: '::1', port: 7002 },
      ],
      tls: true,
      username: 'app',
      password: 'secret',
      db: 0,
    });
  });

  it('refuses what it cannot honour, without repeating the password', () => {
    const problem = (url: string, mode: 'single' | 'cluster') => {
      try {
        parseRedisUrl(url, mode);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem('redis://a:1,b:2', 'single')).toMatch(/REDIS_MODE=cluster/);
    expect(problem('redis://a:1/3', 'cluster')).toMatch(/database 0 only/);
    expect(problem('http://a:1', 'single')).toMatch(/redis:\/\/ or rediss:\/\//);
    expect(problem('redis://a:99999', 'single')).toMatch(/port/);
    expect(problem('redis://a:1?tls=true', 'single')).toMatch(/query parameters/);
    expect(problem('redis://u:hunter2@a b:1', 'single')).not.toContain('hunter2');
    expect(problem(`redis://${'a,'.repeat(100)}a`, 'cluster')).toMatch(/more than 64 nodes/);
  });
});

describe('effectiveQueuePrefix', () => {
  it('makes the prefix a hash tag in cluster mode, keeps a braced one, leaves single mode alone', () => {
    expect(effectiveQueuePrefix('ai-agents', 'cluster')).toBe('{ai-agents}');
    expect(effectiveQueuePrefix('{ai-agents}', 'cluster')).toBe('{ai-agents}');
    expect(effectiveQueuePrefix('{ai-agents}', 'single')).toBe('{ai-agents}');
    expect(effectiveQueuePrefix('ai-agents', 'single')).toBe('ai-agents');
  });
});

describe('REDIS_MODE and REDIS_URL in the configuration', () => {
  const base = {
    DATABASE_URL: 'postgres://app@db/ai_agents',
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  };

  it('defaults to single mode and the prefix as given', () => {
    const config = loadConfig({ ...base, REDIS_URL: 'redis://redis:6379' }, 'api');
    expect(config).toMatchObject({ redisMode: 'single', queuePrefix: 'ai-agents' });
  });

  it('in cluster mode takes seed nodes and gives every key the hash-tagged prefix', () => {
    const env = {
      ...base,
      OPENAI_API_KEY: 'sk-test',
      REDIS_MODE: 'cluster',
      REDIS_URL: 'redis://r1:7000,r2:7001',
      QUEUE_PREFIX: 'msp',
    };
    expect(loadConfig(env, 'worker')).toMatchObject({ redisMode: 'cluster', queuePrefix: '{msp}' });
    expect(loadConfig(env, 'admin')).toMatchObject({ redisMode: 'cluster', queuePrefix: '{msp}' });
  });

  it('names the problem when the URL does not fit the mode', () => {
    expect(() => loadConfig({ ...base, REDIS_URL: 'redis://r1:7000,r2:7001' }, 'api')).toThrow(
      /REDIS_URL: names several nodes; set REDIS_MODE=cluster/,
    );
    expect(() => loadConfig({ ...base, REDIS_URL: 'redis://r1', REDIS_MODE: 'sentinel' }, 'api')).toThrow(
      /REDIS_MODE/,
    );
    expect(() => loadConfig({ ...base, REDIS_URL: 'redis://r1', QUEUE_PREFIX: '{a}b' }, 'api')).toThrow(
      /QUEUE_PREFIX/,
    );
  });

  it('reports a REDIS_URL that does not fit the mode together with the other problems', () => {
    const error = (() => {
      try {
        loadConfig({ DATABASE_URL: base.DATABASE_URL, REDIS_URL: 'redis://r1,r2' }, 'api');
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    })();
    expect(error).toMatch(/ENCRYPTION_KEY/);
    expect(error).toMatch(/REDIS_URL: names several nodes/);
  });

  it('refuses a placeholder Redis password in production, in cluster mode too', () => {
    expect(() =>
      loadConfig(
        {
          ...base,
          NODE_ENV: 'production',
          ENCRYPTION_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)).toString('base64'),
          REDIS_MODE: 'cluster',
          REDIS_URL: 'rediss://app:change-me@r1:7000,r2:7001',
        },
        'api',
      ),
    ).toThrow(/REDIS_URL: the password is a placeholder/);
  });
});
