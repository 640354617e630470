import { EventEmitter } from 'node:events';
import type {
  DataplaneAgent,
  DataplaneProxy,
  EventLoopDelay,
  EventLoopDelayWindow,
} from '@meshtls/dataplane-agent';
import { proxyMetrics } from './proxy-metrics';

/** A delay monitor handing out the given windows, one per take. */
function loopDelayOf(windows: EventLoopDelayWindow[]): EventLoopDelay {
  return {
    resolutionMs: 5,
    takeWindow: () => windows.shift()!,
    stop: () => undefined,
  } as unknown as EventLoopDelay;
}

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe('proxyMetrics: event-loop delay', () => {
  it('reports the delay quantiles of the window since the previous scrape, and counts the samples', async () => {
    const agent = new EventEmitter() as unknown as DataplaneAgent;
    const proxy = new EventEmitter() as unknown as DataplaneProxy;
    const registry = proxyMetrics(
      agent,
      proxy,
      loopDelayOf([
        { samples: 200, p50: 0.0001, p90: 0.0004, p99: 0.002, max: 0.012 },
        { samples: 50, p50: 0, p90: 0, p99: 0.0001, max: 0.0003 },
      ]),
    );
    const first = await registry.metrics();
    const delay = (text: string, q: string) =>
      sample(text, 'dataplane_event_loop_delay_seconds', `{quantile="${q}"}`);
    expect([delay(first, '0.5'), delay(first, '0.9'), delay(first, '0.99'), delay(first, '1')]).toEqual([
      0.0001, 0.0004, 0.002, 0.012,
    ]);
    expect(sample(first, 'dataplane_event_loop_delay_samples_total')).toBe(200);
    const second = await registry.metrics();
    expect([delay(second, '0.99'), delay(second, '1')]).toEqual([0.0001, 0.0003]);
    expect(sample(second, 'dataplane_event_loop_delay_samples_total')).toBe(250);
  });
});
