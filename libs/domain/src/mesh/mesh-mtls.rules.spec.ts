import type { MeshSpec } from './mesh.types';
import { meshChangeAction, meshMtlsView, mtlsReplacementViolation } from './mesh-mtls.rules';

const mesh = (mtls?: MeshSpec['mtls']): MeshSpec => ({ ...(mtls ? { mtls } : {}) }) as MeshSpec;
const builtin = (name: string, extra: object = {}) => ({ name, type: 'builtin' as const, ...extra });

describe('meshChangeAction', () => {
  const one = meshMtlsView(mesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1')] }));
  const two = meshMtlsView(mesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1'), builtin('ca-2')] }));
  const switched = meshMtlsView(
    mesh({ enabledBackend: 'ca-2', backends: [builtin('ca-1'), builtin('ca-2')] }),
  );
  const off = meshMtlsView(mesh());

  it('issues when mTLS is turned on', () => expect(meshChangeAction(off, one)).toBe('issue'));
  it('withdraws when mTLS is turned off', () => expect(meshChangeAction(one, off)).toBe('withdraw'));
  it('sends a new trust bundle when a backend is added or removed', () => {
    expect(meshChangeAction(one, two)).toBe('trust');
    expect(meshChangeAction(two, one)).toBe('trust');
  });
  it('issues when the enabled backend switches', () => expect(meshChangeAction(two, switched)).toBe('issue'));
  it('issues when the mode or the certificate validity changes', () => {
    const permissive = meshMtlsView(
      mesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1', { mode: 'PERMISSIVE' })] }),
    );
    const shorter = meshMtlsView(
      mesh({
        enabledBackend: 'ca-1',
        backends: [builtin('ca-1', { dpCert: { rotation: { expiration: '1h' } } })],
      }),
    );
    expect(meshChangeAction(one, permissive)).toBe('issue');
    expect(meshChangeAction(one, shorter)).toBe('issue');
  });
  it('does nothing for changes a dataplane does not depend on', () => {
    const sameButCaSize = meshMtlsView(
      mesh({ enabledBackend: 'ca-1', backends: [builtin('ca-1', { conf: { caCert: { RSAbits: 4096 } } })] }),
    );
    expect(meshChangeAction(one, sameButCaSize)).toBe('none');
    expect(meshChangeAction(off, off)).toBe('none');
  });
});

describe('mtlsReplacementViolation', () => {
  const on = (enabledBackend: string, ...names: string[]) =>
    mesh({ enabledBackend, backends: names.map((n) => builtin(n)) });

  it("refuses dropping the issuing backend while mTLS stays on, at Kuma's path", () => {
    expect(mtlsReplacementViolation(on('ca-1', 'ca-1'), on('ca-2', 'ca-2'))).toEqual({
      field: 'mtls.enabledBackend',
      message: expect.stringMatching(
        /^Changing CA when mTLS is enabled is forbidden unless the enabled backend "ca-1" stays listed/,
      ),
    });
  });

  it('allows each step of the zero-downtime switch: add, switch, remove the one no longer issuing', () => {
    expect(mtlsReplacementViolation(on('ca-1', 'ca-1'), on('ca-1', 'ca-1', 'ca-2'))).toBeUndefined();
    expect(mtlsReplacementViolation(on('ca-1', 'ca-1', 'ca-2'), on('ca-2', 'ca-1', 'ca-2'))).toBeUndefined();
    expect(mtlsReplacementViolation(on('ca-2', 'ca-1', 'ca-2'), on('ca-2', 'ca-2'))).toBeUndefined();
  });

  it('allows any change while mTLS is off, and turning it off', () => {
    expect(
      mtlsReplacementViolation(mesh({ backends: [builtin('ca-1')] }), on('ca-2', 'ca-2')),
    ).toBeUndefined();
    expect(
      mtlsReplacementViolation(on('ca-1', 'ca-1'), mesh({ backends: [builtin('ca-2')] })),
    ).toBeUndefined();
    expect(mtlsReplacementViolation(on('ca-1', 'ca-1'), mesh())).toBeUndefined();
  });
});
