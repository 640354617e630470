import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTable } from './table.formatter';

/** kumactl's golden output (app/kumactl/pkg/output/table/testdata), kept as it prints it. */
const golden = (file: string): string => readFileSync(join(__dirname, 'testdata', 'kumactl', file), 'utf8');

describe('formatTable', () => {
  it.each([
    ['empty.golden.txt', [], []],
    ['header.golden.txt', ['MESH', 'NAME'], []],
    ['header-and-1-row.golden.txt', ['MESH', 'NAME'], [['default', 'example']]],
    [
      'header-and-2-rows.golden.txt',
      ['MESH', 'NAME'],
      [
        ['default', 'example'],
        ['playground', 'demo'],
      ],
    ],
  ])('lays out %s as kumactl does', (file, headers, rows) => {
    expect(formatTable(headers, rows)).toBe(golden(file));
  });

  it('pads every cell but the last to its column’s widest cell and three spaces', () => {
    const out = formatTable(
      ['NAME', 'mTLS', 'AGE'],
      [
        ['default', 'builtin/ca-1', '3m'],
        ['payments-long-name', 'off', '2h'],
      ],
    );
    expect(out).toBe(
      [
        'NAME                 mTLS           AGE',
        'default              builtin/ca-1   3m',
        'payments-long-name   off            2h',
        '',
      ].join('\n'),
    );
  });

  it('keeps the padding before empty last cells, as kumactl prints them', () => {
    expect(formatTable(['A', 'B', 'C'], [['x', '', '']])).toBe('A   B   C\nx       \n');
  });

  it('keeps one item on one line when a cell holds a newline, and fills missing cells', () => {
    const out = formatTable(['A', 'B', 'C'], [['x\n  y', 'z']]);
    expect(out.split('\n')).toEqual(['A     B   C', 'x y   z   ', '']);
  });
});
