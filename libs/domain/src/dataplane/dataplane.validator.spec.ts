import { parseResource } from '../universal/parse-resource';
import { violationsOf } from '../test-support/violations-of';

const dataplane = (networking: unknown) => ({
  type: 'Dataplane',
  mesh: 'default',
  name: 'web-01',
  networking,
});
const inbound = (extra: object = {}) => ({ port: 8080, tags: { 'kuma.io/service': 'web' }, ...extra });
const withInbound = (item: unknown) => dataplane({ address: '10.0.0.1', inbound: [item] });

describe('Dataplane validation', () => {
  it('accepts a dataplane with inbounds and outbounds and keeps it as written', () => {
    const networking = {
      address: '10.0.0.1',
      inbound: [
        inbound({
          servicePort: 3000,
          tags: { 'kuma.io/service': 'web', version: 'v1.2', 'kuma.io/protocol': 'http' },
        }),
      ],
      outbound: [{ port: 10001, tags: { 'kuma.io/service': 'backend' } }],
    };
    expect(parseResource(dataplane(networking))).toEqual({
      warnings: [],
      key: { type: 'Dataplane', mesh: 'default', name: 'web-01' },
      spec: { networking },
    });
  });

  it.each(['10.0.0.1', '::1', 'fd00::12', 'web.internal', 'localhost', 'Host-1.example.com'])(
    'accepts address %s',
    (address) => {
      expect(() => parseResource(dataplane({ address, inbound: [inbound()] }))).not.toThrow();
    },
  );

  it.each([undefined, '', 'not an address', '-web', 'web..internal', '10.0.0.1:80'])(
    'refuses address %j',
    (address) => {
      expect(violationsOf(dataplane({ address, inbound: [inbound()] }))).toEqual([
        { field: 'networking.address', message: 'address has to be valid IP address or domain name' },
      ]);
    },
  );

  it('keeps an inbound name, what a policy sectionName selects it by', () => {
    const networking = { address: '10.0.0.1', inbound: [inbound({ name: 'http' }), inbound({ port: 9090 })] };
    expect(parseResource(dataplane(networking)).spec).toEqual({ networking });
    expect(violationsOf(withInbound(inbound({ name: 7 })))).toEqual([
      { field: 'networking.inbound[0].name', message: 'must be a string' },
    ]);
  });

  it('requires networking', () => {
    expect(violationsOf(dataplane(undefined))).toEqual([{ field: 'networking', message: 'must be defined' }]);
    expect(violationsOf(dataplane([]))).toEqual([{ field: 'networking', message: 'must be an object' }]);
  });

  it.each([[undefined], [[]]])('requires at least one inbound (inbound %j)', (inboundList) => {
    expect(violationsOf(dataplane({ address: '10.0.0.1', inbound: inboundList }))).toEqual([
      { field: 'networking', message: 'has to contain at least one inbound interface or gateway' },
    ]);
  });

  it('reports wrong JSON types', () => {
    expect(violationsOf(dataplane({ address: '10.0.0.1', inbound: {}, outbound: 'none' }))).toEqual([
      { field: 'networking.inbound', message: 'must be an array' },
      { field: 'networking.outbound', message: 'must be an array' },
    ]);
    expect(violationsOf(withInbound(inbound({ port: '8080', servicePort: true })))).toEqual([
      { field: 'networking.inbound[0].port', message: 'must be a number' },
      { field: 'networking.inbound[0].servicePort', message: 'must be a number' },
    ]);
    expect(violationsOf(withInbound('8080'))).toEqual([
      { field: 'networking.inbound[0]', message: 'must be an object' },
    ]);
  });

  it.each([[undefined], [0], [65536], [-1]])('refuses inbound port %j', (port) => {
    expect(violationsOf(withInbound(inbound({ port })))).toEqual([
      { field: 'networking.inbound[0].port', message: 'port has to be in range of [1, 65535]' },
    ]);
  });

  it('refuses a fractional port', () => {
    expect(violationsOf(withInbound(inbound({ port: 80.5 })))).toEqual([
      { field: 'networking.inbound[0].port', message: 'must be an integer' },
    ]);
  });

  it('accepts servicePort 0 and refuses one above 65535', () => {
    expect(() => parseResource(withInbound(inbound({ servicePort: 0 })))).not.toThrow();
    expect(violationsOf(withInbound(inbound({ servicePort: 70000 })))).toEqual([
      { field: 'networking.inbound[0].servicePort', message: 'servicePort has to be in range of [0, 65535]' },
    ]);
  });

  describe('tags', () => {
    const tagViolations = (tags: unknown) => violationsOf(withInbound({ port: 80, tags }));

    it('requires the kuma.io/service tag', () => {
      const expected = [
        { field: 'networking.inbound[0].tags["kuma.io/service"]', message: 'tag has to exist' },
      ];
      expect(tagViolations(undefined)).toEqual(expected);
      expect(tagViolations({ version: 'v1' })).toEqual(expected);
    });

    it('refuses empty values', () => {
      expect(tagViolations({ 'kuma.io/service': '', version: null })).toEqual([
        { field: 'networking.inbound[0].tags["kuma.io/service"]', message: 'tag value cannot be empty' },
        { field: 'networking.inbound[0].tags["version"]', message: 'tag value cannot be empty' },
      ]);
    });

    it('refuses invalid characters in names and values', () => {
      expect(tagViolations({ 'kuma.io/service': 'web/v1', 'my tag': 'x', '': 'y' })).toEqual([
        { field: 'networking.inbound[0].tags', message: 'tag name must be non-empty' },
        {
          field: 'networking.inbound[0].tags["kuma.io/service"]',
          message: 'tag value must consist of alphanumeric characters, dots, dashes and underscores',
        },
        {
          field: 'networking.inbound[0].tags["my tag"]',
          message: 'tag name must consist of alphanumeric characters, dots, dashes, slashes and underscores',
        },
      ]);
    });

    it('refuses non-string values and a tags list', () => {
      expect(tagViolations({ 'kuma.io/service': 'web', port: 80 })).toEqual([
        { field: 'networking.inbound[0].tags["port"]', message: 'must be a string' },
      ]);
      expect(tagViolations(['kuma.io/service=web'])).toEqual([
        { field: 'networking.inbound[0].tags', message: 'must be an object' },
      ]);
    });

    it('checks kuma.io/protocol values', () => {
      expect(tagViolations({ 'kuma.io/service': 'web', 'kuma.io/protocol': 'udp' })).toEqual([
        {
          field: 'networking.inbound[0].tags["kuma.io/protocol"]',
          message:
            'tag "kuma.io/protocol" has an invalid value "udp". Allowed values: http, http2, grpc, kafka, tcp',
        },
      ]);
    });
  });

  describe('outbound', () => {
    const outboundViolations = (outbound: unknown) =>
      violationsOf(dataplane({ address: '10.0.0.1', inbound: [inbound()], outbound: [outbound] }));

    it('checks port and requires the service tag', () => {
      expect(outboundViolations({ port: 0, tags: {} })).toEqual([
        { field: 'networking.outbound[0].port', message: 'port has to be in range of [1, 65535]' },
        { field: 'networking.outbound[0].tags["kuma.io/service"]', message: 'tag has to exist' },
      ]);
    });

    it('refuses unknown fields (address is not supported)', () => {
      expect(
        outboundViolations({ port: 10001, address: '127.0.0.1', tags: { 'kuma.io/service': 'b' } }),
      ).toEqual([{ field: 'networking.outbound[0].address', message: 'unknown field' }]);
    });
  });

  it('refuses unknown fields at every level', () => {
    expect(
      violationsOf(dataplane({ address: '10.0.0.1', gateway: {}, inbound: [inbound({ health: {} })] })),
    ).toEqual([
      { field: 'networking.gateway', message: 'unknown field' },
      { field: 'networking.inbound[0].health', message: 'unknown field' },
    ]);
  });
});
