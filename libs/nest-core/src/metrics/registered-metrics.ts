import {
  Counter,
  Gauge,
  Histogram,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Registry,
} from 'prom-client';

/** A metric's configuration without `registers`: the registry is the one the metrics are declared in. */
type Unregistered<C> = Omit<C, 'registers'>;

export interface RegisteredMetrics {
  counter<L extends string = string>(config: Unregistered<CounterConfiguration<L>>): Counter<L>;
  gauge<L extends string = string>(config: Unregistered<GaugeConfiguration<L>>): Gauge<L>;
  histogram<L extends string = string>(config: Unregistered<HistogramConfiguration<L>>): Histogram<L>;
}

/**
 * Declares prom-client metrics registered in `registry` (the process's METRICS registry, served at
 * /metrics) and nowhere else, not in prom-client's global registry.
 */
export function metricsIn(registry: Registry): RegisteredMetrics {
  return {
    counter: (config) => new Counter({ ...config, registers: [registry] }),
    gauge: (config) => new Gauge({ ...config, registers: [registry] }),
    histogram: (config) => new Histogram({ ...config, registers: [registry] }),
  };
}
