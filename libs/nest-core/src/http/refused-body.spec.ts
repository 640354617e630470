import { PassThrough } from 'node:stream';
import { discardBody } from './refused-body';

describe('discardBody', () => {
  const limits = { maxBytes: 100, maxMs: 60_000 };

  it('reads the rest of a body to its end', async () => {
    const body = new PassThrough();
    const discarded = discardBody(body, limits);
    body.write(Buffer.alloc(60));
    body.end(Buffer.alloc(40));
    await expect(discarded).resolves.toBe(true);
    expect(body.readableEnded).toBe(true);
  });

  it('counts text chunks in bytes', async () => {
    const body = new PassThrough();
    body.setEncoding('utf8');
    const discarded = discardBody(body, limits);
    body.end('é'.repeat(60)); // 60 characters, 120 bytes
    await expect(discarded).resolves.toBe(false);
  });

  it('stops reading once more than maxBytes came, with the rest unread', async () => {
    const body = new PassThrough();
    const discarded = discardBody(body, limits);
    body.write(Buffer.alloc(101));
    await expect(discarded).resolves.toBe(false);
    body.end(Buffer.alloc(10));
    expect(body.isPaused()).toBe(true);
    expect(body.readableEnded).toBe(false);
  });

  it('gives up after maxMs on a body that stops coming', async () => {
    jest.useFakeTimers();
    try {
      const body = new PassThrough();
      const discarded = discardBody(body, { maxBytes: 100, maxMs: 1000 });
      body.write(Buffer.alloc(10));
      jest.advanceTimersByTime(1000);
      await expect(discarded).resolves.toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });

  it('is done at once with a body already read', async () => {
    const body = new PassThrough();
    body.resume();
    body.end();
    await new Promise((r) => body.once('end', r));
    await expect(discardBody(body, limits)).resolves.toBe(true);
  });
});
