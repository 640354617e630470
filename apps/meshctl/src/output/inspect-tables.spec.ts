import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UniversalDoc } from '../api-client';
import { caSwitchInsights } from '../test-support/mesh-insights';
import { caSwitchCell, dataplaneOverviewTable, meshInsightTable, type InspectTable } from './inspect-tables';
import { formatTable } from './table.formatter';

/**
 * kumactl's `inspect dataplanes` and `inspect meshes` golden files (app/kumactl/cmd/inspect/testdata):
 * the `-o json` output is what the API answers, the `.txt` the table kumactl prints for it.
 */
const fixture = (file: string): string => readFileSync(join(__dirname, 'testdata', 'kumactl', file), 'utf8');
const items = (file: string): UniversalDoc[] =>
  (JSON.parse(fixture(file)) as { items: UniversalDoc[] }).items;

/** The table of kumactl's columns only. */
const kumactlPart = (table: InspectTable): string =>
  formatTable(
    table.headers.slice(0, table.kumactlColumns),
    table.rows.map((row) => row.slice(0, table.kumactlColumns)),
  );

describe('inspect tables', () => {
  const tz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'UTC'; // kumactl's golden dates were printed in UTC
  });
  afterAll(() => {
    process.env.TZ = tz;
  });

  it('prints kumactl’s inspect dataplanes table for the same overviews', () => {
    const now = new Date('2019-07-17T18:08:41Z');
    const table = dataplaneOverviewTable(items('inspect-dataplanes.golden.json'), now);
    expect(kumactlPart(table)).toBe(fixture('inspect-dataplanes.golden.txt'));
  });

  it('prints kumactl’s inspect meshes table for the same mesh insights, our columns after', () => {
    const table = meshInsightTable(items('inspect-meshes.golden.json'));
    expect(kumactlPart(table)).toBe(fixture('inspect-meshes.golden.txt'));
    expect(table.headers.slice(table.kumactlColumns)).toEqual([
      'MESH TRAFFIC PERMISSIONS',
      'ISSUED BACKENDS',
      'CA EXPIRATION',
      'CA SWITCH',
    ]);
    expect(table.rows[0]!.slice(table.kumactlColumns)).toEqual(['0', '-', '-', '-']);
  });

  it('shows a mesh’s MeshTrafficPermissions, certificates by backend and its first CA expiry', () => {
    const table = meshInsightTable([
      {
        type: 'MeshInsight',
        name: 'm',
        dataplanes: { total: 2, online: 1 },
        policies: { MeshTrafficPermission: { total: 3 } },
        mTLS: { issuedBackends: { 'ca-2': { total: 1 }, 'ca-1': { total: 1, online: 1 } } },
        caCertificates: [
          { backend: 'ca-1', notAfter: '2036-01-01T00:00:00.000Z' },
          { backend: 'ca-2', notAfter: '2030-06-01T12:30:00.000Z' },
        ],
      },
    ]);
    expect(table.rows).toEqual([
      [
        'm',
        '1/2',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '0',
        '3',
        'ca-1=1,ca-2=1',
        '2030-06-01 12:30:00',
        '-',
      ],
    ]);
  });

  it('shows each mesh’s CA switch, its state and how many online dataplanes acknowledged it, as the API answers', () => {
    const table = meshInsightTable(caSwitchInsights());
    expect(table.rows.map((row) => [row[0], row.at(-1)])).toEqual([
      ['bundle', 'ca-1→ca-2 waiting-for-bundle 3/4'],
      ['reissue', 'ca-1→ca-2 reissuing 0/2'],
      ['removal', 'ca-2 waiting-for-removal 1/2'],
      ['switched', 'ca-1→ca-2 done'],
      ['plain', '-'],
    ]);
  });

  it('prints a CA switch it cannot read as `-`, and an unknown state as given', () => {
    expect(caSwitchCell(undefined)).toBe('-');
    expect(caSwitchCell('ca-2')).toBe('-');
    expect(caSwitchCell({ from: 'ca-1' })).toBe('-');
    expect(caSwitchCell({ from: 'ca-1', to: 'ca-2', state: 'paused', acknowledged: '2', total: 5 })).toBe(
      'ca-1→ca-2 paused 2/5',
    );
  });
});
