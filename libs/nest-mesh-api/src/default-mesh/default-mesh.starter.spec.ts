import type { DefaultMeshOutcome } from '@meshtls/application';
import { DefaultMeshStarter } from './default-mesh.starter';

function recordingLog() {
  const lines: string[] = [];
  return {
    lines,
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string) => lines.push(`warn ${m}`),
    error: (m: string) => lines.push(`error ${m}`),
  };
}

describe('DefaultMeshStarter', () => {
  afterEach(() => jest.useRealTimers());

  it('makes the default mesh before the process serves', async () => {
    const ensure = jest.fn(async (): Promise<DefaultMeshOutcome> => 'created');
    const log = recordingLog();
    await new DefaultMeshStarter(ensure, { skip: false }, log).onApplicationBootstrap();
    expect(ensure).toHaveBeenCalledTimes(1);
    expect(log.lines).toEqual(['info default Mesh created']);
  });

  it('does nothing with MESH_SKIP_DEFAULT_MESH=true', async () => {
    const ensure = jest.fn(async (): Promise<DefaultMeshOutcome> => 'created');
    const log = recordingLog();
    await new DefaultMeshStarter(ensure, { skip: true }, log).onApplicationBootstrap();
    expect(ensure).not.toHaveBeenCalled();
    expect(log.lines).toEqual(['info skipping default Mesh creation because MESH_SKIP_DEFAULT_MESH is true']);
  });

  it('starts anyway when the store cannot be written, and tries again until it can', async () => {
    jest.useFakeTimers();
    const results: (DefaultMeshOutcome | Error)[] = [
      new Error('store unavailable'),
      new Error('still'),
      'exists',
    ];
    const ensure = jest.fn(async () => {
      const next = results.shift()!;
      if (next instanceof Error) throw next;
      return next;
    });
    const log = recordingLog();
    await new DefaultMeshStarter(ensure, { skip: false }, log, {
      intervalMs: 1000,
      attempts: 5,
    }).onApplicationBootstrap();
    expect(ensure).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1000);
    await jest.advanceTimersByTimeAsync(1000);
    expect(ensure).toHaveBeenCalledTimes(3);
    expect(log.lines).toEqual([
      'warn could not create the default Mesh, retrying in 1000 ms: store unavailable',
      'warn could not create the default Mesh, retrying in 1000 ms: still',
      'info default Mesh already exists',
    ]);
  });

  it('gives up after its attempts, and stops trying when the process stops', async () => {
    jest.useFakeTimers();
    const ensure = jest.fn(async (): Promise<DefaultMeshOutcome> => {
      throw new Error('down');
    });
    const log = recordingLog();
    const starter = new DefaultMeshStarter(ensure, { skip: false }, log, { intervalMs: 10, attempts: 3 });
    await starter.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    expect(ensure).toHaveBeenCalledTimes(3);
    expect(log.lines.at(-1)).toBe(
      'error could not create the default Mesh, giving up after 3 attempts: down',
    );

    const stopping = new DefaultMeshStarter(ensure, { skip: false }, recordingLog(), {
      intervalMs: 10,
      attempts: 3,
    });
    ensure.mockClear();
    await stopping.onApplicationBootstrap();
    stopping.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(100);
    expect(ensure).toHaveBeenCalledTimes(1);
  });
});
