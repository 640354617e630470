import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports that shared servers on a developer machine may hold (NATS, Redis, their monitors). A test must
 * never talk to those, so they are never handed out even when they happen to be free.
 */
const RESERVED_PORTS: ReadonlySet<number> = new Set([4222, 6222, 8222, 6379]);

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; reserved ports are skipped). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const picked = typeof address === 'object' && address !== null ? address.port : 0;
        server.close(() => resolve(picked));
      });
    });
    if (port > 0 && !RESERVED_PORTS.has(port)) return port;
  }
}

/** A directory of its own under the OS temp dir; `remove()` deletes it with its content. */
export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

/** Creates a fresh temporary directory, named with `prefix` to tell where it came from. */
export async function tempDir(prefix = 'meshtls-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * A free port can be taken by another process between the check and the server's bind; a server that
 * fails with "address already in use" on a port chosen here is started again on another one.
 */
export async function retryOnPortRace<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !/address already in use/i.test(String((error as Error).message)))
        throw error;
    }
  }
}
