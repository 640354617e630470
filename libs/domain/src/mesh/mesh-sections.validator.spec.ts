import { parseResource } from '../universal/parse-resource';
import { violationsOf } from '../test-support/violations-of';

const mesh = (fields: object) => ({ type: 'Mesh', name: 'default', ...fields });

describe('Mesh sections stored but not acted on', () => {
  it('gives every section back as written', () => {
    const sections = {
      networking: { outbound: { passthrough: true } },
      routing: { localityAwareLoadBalancing: true, defaultForbidMeshExternalServiceAccess: false },
      skipCreatingInitialPolicies: ['*'],
      meshServices: { mode: 'ReachableBackends' },
      tracing: { backends: [{ name: 'dd', type: 'datadog', conf: { address: '127.0.0.1', port: 8126 } }] },
      logging: { backends: [{ name: 'tcp', type: 'tcp', conf: { address: '[::1]:514' } }] },
    };
    expect(parseResource(mesh(sections)).spec).toEqual(sections);
  });

  it('checks datadog addresses and ports with Kuma messages', () => {
    const tracing = (conf: object) => ({ tracing: { backends: [{ name: 'dd', type: 'datadog', conf }] } });
    expect(violationsOf(mesh(tracing({ port: 0 })))).toEqual([
      { field: 'tracing.backends[0].config.address', message: 'cannot be empty' },
      { field: 'tracing.backends[0].config.port', message: 'port must be in the range [1, 65535]' },
    ]);
    expect(violationsOf(mesh(tracing({ address: 'dd', port: 65536 })))).toEqual([
      { field: 'tracing.backends[0].config.port', message: 'port must be in the range [1, 65535]' },
    ]);
  });

  it.each([
    ['kibana', 'has to be in format of HOST:PORT'],
    [':514', 'has to be in format of HOST:PORT'],
    ['[::1]514', 'has to be in format of HOST:PORT'],
    ['::1:514', 'has to be in format of HOST:PORT'],
  ])('refuses the tcp logging address %j', (address, message) => {
    const logging = { backends: [{ name: 'tcp', type: 'tcp', conf: { address } }] };
    expect(violationsOf(mesh({ logging }))).toEqual([
      { field: 'logging.backends[0].config.address', message },
    ]);
  });

  it.each([
    ['http://zipkin:9411/api/v2/spans', undefined],
    ['http://user@[::1]:9411/spans', undefined],
    ['/api/v2/spans', 'port has to be explicitly specified'],
    ['http://[::1]/spans', 'port has to be explicitly specified'],
    ['zipkin:9411', 'port has to be explicitly specified'],
    ['http://zipkin:port/spans', 'invalid URL'],
    ['http://zip kin:9411/', 'invalid URL'],
  ])('reads the zipkin url %j as Go reads a request URI', (url, message) => {
    const tracing = { backends: [{ name: 'z', type: 'zipkin', conf: { url } }] };
    if (message === undefined) expect(() => parseResource(mesh({ tracing }))).not.toThrow();
    else
      expect(violationsOf(mesh({ tracing }))).toEqual([{ field: 'tracing.backends[0].config.url', message }]);
  });

  it('refuses a prometheus filter that is not a regular expression', () => {
    const metrics = { backends: [{ name: 'p', type: 'prometheus', conf: { envoy: { filterRegex: '(' } } }] };
    const [violation] = violationsOf(mesh({ metrics }));
    expect(violation?.field).toBe('metrics.backends[0].conf.envoy.filterRegex');
    expect(violation?.message).toMatch(/^provided regexp isn't correct: /);
  });

  it('checks the types and values of the sections Kuma leaves to protobuf', () => {
    expect(
      violationsOf(
        mesh({
          networking: { outbound: { passthrough: 'yes' } },
          routing: { zoneEgress: 1 },
          meshServices: { mode: 'Sometimes' },
          skipCreatingInitialPolicies: [1],
          tracing: {
            backends: [{ name: 'z', type: 'zipkin', sampling: 'all', conf: { url: 'http://z:1' } }],
          },
        }),
      ),
    ).toEqual([
      { field: 'tracing.backends[0].sampling', message: 'must be a number' },
      { field: 'routing.zoneEgress', message: 'must be a boolean' },
      { field: 'networking.outbound.passthrough', message: 'must be a boolean' },
      {
        field: 'meshServices.mode',
        message: '"mode" must be one of ["Disabled", "Everywhere", "ReachableBackends", "Exclusive"]',
      },
      { field: 'skipCreatingInitialPolicies[0]', message: 'must be a string' },
    ]);
  });
});
