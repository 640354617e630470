import { Registry } from 'prom-client';
import { HealthDegradations } from './health-degradations';
import { storeRejectionReporter } from './store-rejections.reporter';

describe('storeRejectionReporter', () => {
  const setup = () => {
    const registry = new Registry();
    const degradations = new HealthDegradations();
    const lines: string[] = [];
    const reporter = storeRejectionReporter(registry, degradations, {
      warn: (m) => lines.push(`warn ${m}`),
      log: (m) => lines.push(`log ${m}`),
    });
    const count = async (source: string, type: string) => {
      const metric = await registry.getSingleMetric('mesh_store_values_rejected_total')!.get();
      return metric.values.find((v) => v.labels.source === source && v.labels.type === type)?.value ?? 0;
    };
    return { degradations, lines, reporter, count };
  };

  it('logs the key and the reason, counts it, and degrades readiness until the key is settled', async () => {
    const { degradations, lines, reporter, count } = setup();
    reporter.rejected({
      source: 'kv',
      key: 'Dataplane/default/web-1',
      type: 'Dataplane',
      reason: 'spec does not validate at networking',
    });
    reporter.rejected({
      source: 'redis',
      key: 'mesh:lease:default:ghost',
      type: 'lease',
      reason: 'value is not JSON',
    });
    expect(await count('kv', 'Dataplane')).toBe(1);
    expect(await count('redis', 'lease')).toBe(1);
    expect(degradations.list().map((d) => [d.source, d.reason])).toEqual([
      ['kv:Dataplane/default/web-1', 'kv Dataplane/default/web-1: spec does not validate at networking'],
      ['redis:mesh:lease:default:ghost', 'redis mesh:lease:default:ghost: value is not JSON'],
    ]);
    expect(lines).toEqual([
      'warn skipped kv value Dataplane/default/web-1 (Dataplane): spec does not validate at networking; not ready until the resource is written again or deleted',
      'warn skipped redis value mesh:lease:default:ghost (lease): value is not JSON; not ready until a valid lease replaces it or it is deleted',
    ]);

    reporter.settled('kv', 'Dataplane/default/web-1');
    expect(degradations.list().map((d) => d.source)).toEqual(['redis:mesh:lease:default:ghost']);
    reporter.settled('redis', 'mesh:lease:default:ghost');
    expect(degradations.size).toBe(0);
    // The count is of values skipped, so it stays.
    expect(await count('kv', 'Dataplane')).toBe(1);
  });
});
