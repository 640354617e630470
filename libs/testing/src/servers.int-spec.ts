import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { freePort, startNatsServer, startRedisServer, tempDir } from './index';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('test servers', () => {
  it('freePort never hands out the shared NATS/Redis ports', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const p of ports) {
      expect(p).toBeGreaterThan(0);
      expect([4222, 6222, 8222, 6379]).not.toContain(p);
    }
  });

  it('tempDir makes a directory and removes it', async () => {
    const dir = await tempDir();
    expect(existsSync(dir.path)).toBe(true);
    await dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('starts, restarts and stops nats-server with JetStream on its own port', async () => {
    const nats = await startNatsServer();
    try {
      expect(nats.port).not.toBe(4222);
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
      expect(await canConnect(nats.port)).toBe(true);
      const first = nats.pid;
      await nats.kill('SIGKILL');
      expect(isAlive(first)).toBe(false);
      await nats.restart();
      expect(nats.pid).not.toBe(first);
      expect(await canConnect(nats.port)).toBe(true);
    } finally {
      await nats.stop();
    }
    expect(isAlive(nats.pid)).toBe(false);
    expect(existsSync(nats.storeDir)).toBe(false);
  });

  it('starts and stops redis-server on its own port', async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.port).not.toBe(6379);
      expect(await canConnect(redis.port)).toBe(true);
    } finally {
      await redis.stop();
    }
    expect(isAlive(redis.pid)).toBe(false);
    expect(await canConnect(redis.port)).toBe(false);
  });

  it('fails with the server output when nats-server cannot start', async () => {
    const nats = await startNatsServer();
    try {
      await expect(startNatsServer({ port: nats.port, startTimeoutMs: 3000 })).rejects.toThrow(/nats-server/);
    } finally {
      await nats.stop();
    }
  });
});
