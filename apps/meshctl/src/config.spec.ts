import { ConfigError } from '@meshtls/util';
import { DEFAULT_API_ADDRESS, configFilePath, maskToken, resolveConfig } from './config';

describe('resolveConfig', () => {
  const file = { apiAddress: 'http://file:5681', token: 'file-token' };
  const env = { MESHCTL_API_ADDRESS: 'http://env:5681', MESHCTL_TOKEN: 'env-token' };

  it('prefers the flag over the environment, the file and the default', () => {
    const c = resolveConfig({ apiAddress: 'http://flag:5681', token: 'flag-token' }, env, file);
    expect(c.apiAddress).toEqual({ value: 'http://flag:5681', source: 'flag' });
    expect(c.token).toEqual({ value: 'flag-token', source: 'flag' });
  });

  it('prefers the environment over the file', () => {
    const c = resolveConfig({}, env, file);
    expect([c.apiAddress.source, c.token.value]).toEqual(['env', 'env-token']);
  });

  it('uses the file when neither flag nor environment is set (an empty variable counts as unset)', () => {
    const c = resolveConfig({}, { MESHCTL_TOKEN: '' }, file);
    expect(c.apiAddress).toEqual({ value: 'http://file:5681', source: 'file' });
    expect(c.token).toEqual({ value: 'file-token', source: 'file' });
  });

  it('falls back to the default address and no token', () => {
    const c = resolveConfig({}, {}, {});
    expect(c.apiAddress).toEqual({ value: DEFAULT_API_ADDRESS, source: 'default' });
    expect(c.token.value).toBeUndefined();
  });

  it('refuses an address that is not http(s), naming where it came from', () => {
    expect(() => resolveConfig({}, { MESHCTL_API_ADDRESS: 'localhost:5681' }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({}, { MESHCTL_API_ADDRESS: 'ftp://x' }, {})).toThrow(
      /from MESHCTL_API_ADDRESS/,
    );
  });
});

describe('configFilePath', () => {
  it('uses MESHCTL_CONFIG, else the home directory', () => {
    expect(configFilePath({ MESHCTL_CONFIG: '/etc/m.yaml', HOME: '/home/u' })).toBe('/etc/m.yaml');
    expect(configFilePath({ HOME: '/home/u' })).toBe('/home/u/.config/meshctl/config.yaml');
  });
});

describe('maskToken', () => {
  it('shows at most the last four characters of a long token and nothing of a short one', () => {
    expect(maskToken('eyJhbGciOiJSUzI1NiJ9.payload.sig1')).toBe('********sig1');
    expect(maskToken('short')).toBe('********');
    expect(maskToken(undefined)).toBe('(none)');
  });
});
