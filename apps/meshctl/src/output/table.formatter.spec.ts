import { formatTable } from './table.formatter';

describe('formatTable', () => {
  it('pads columns to their widest cell with three spaces between them and no trailing spaces', () => {
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

  it('prints only the header for no rows', () => {
    expect(formatTable(['MESH', 'NAME'], [])).toBe('MESH   NAME\n');
  });

  it('keeps one item on one line when a cell holds a newline, and fills missing cells', () => {
    const out = formatTable(['A', 'B', 'C'], [['x\n  y', 'z']]);
    expect(out.split('\n')).toEqual(['A     B   C', 'x y   z', '']);
  });
});
