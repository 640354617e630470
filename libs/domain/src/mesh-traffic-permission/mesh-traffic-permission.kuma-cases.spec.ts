import { parse as parseYaml } from 'yaml';
import type { Violation } from '../errors';
import { violationsOf } from '../test-support/violations-of';
import { parseResource } from '../universal/parse-resource';

/**
 * Kuma 2.14's MeshTrafficPermission validator cases (inputs and expected violations, as data): a Kuma
 * user's policies are accepted or refused here exactly as there. Where this differs on purpose the case
 * says so and expects this side's answer.
 */
const document = (specYaml: string) => ({
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'mtp',
  spec: parseYaml(specYaml) as unknown,
});

const accepted: [string, string][] = [
  [
    'allow or deny all possible kinds of clients',
    `
targetRef:
  kind: Mesh
from:
  - targetRef:
      kind: Mesh
    default:
      action: Allow
  - targetRef:
      kind: MeshSubset
      tags:
        kuma.io/zone: us-east
        env: dev
    default:
      action: Deny
  - targetRef:
      kind: MeshService
      name: backend
    default:
      action: Allow
  - targetRef:
      kind: MeshServiceSubset
      name: backend
      tags:
        version: v1
    default:
      action: Deny
`,
  ],
  [
    'allow MeshSubset at top-level targetRef',
    `
targetRef:
  kind: MeshSubset
  tags:
    env: prod
from:
  - targetRef:
      kind: Mesh
    default:
      action: Deny
`,
  ],
  [
    'allow MeshService at top-level targetRef',
    `
targetRef:
  kind: MeshService
  name: backend
from:
  - targetRef:
      kind: Mesh
    default:
      action: Deny
`,
  ],
  [
    'allow MeshServiceSubset at top-level targetRef',
    `
targetRef:
  kind: MeshServiceSubset
  name: backend
  tags:
    version: v2
from:
  - targetRef:
      kind: Mesh
    default:
      action: Deny
`,
  ],
  [
    'full rules example',
    `
targetRef:
  kind: Mesh
rules:
  - default:
      deny:
        - spiffeID:
            type: Exact
            value: spiffe://trust.domain/service
      allow:
        - spiffeID:
            type: Prefix
            value: spiffe://trust.domain
      allowWithShadowDeny:
        - spiffeID:
            type: Exact
            value: spiffe://trust.domain/service-2
`,
  ],
  [
    'sni-only allow',
    `
targetRef:
  kind: Dataplane
  sectionName: ze-port
rules:
  - default:
      allow:
        - sni:
            type: Exact
            value: sni.extsvc.default.zone-1.aws-aurora.8443
`,
  ],
  [
    'spiffeID and sni combined in the same match',
    `
targetRef:
  kind: Dataplane
  sectionName: ze-port
rules:
  - default:
      allow:
        - spiffeID:
            type: Exact
            value: spiffe://default/ns/backend-ns/sa/backend
          sni:
            type: Exact
            value: sni.extsvc.default.zone-1.aws-aurora.8443
`,
  ],
];

const refused: [string, string, Violation[]][] = [
  [
    "empty 'from' array",
    `
targetRef:
  kind: MeshService
  name: backend
from: []
`,
    [{ field: 'spec', message: "at least one of 'from' or 'rules' has to be defined" }],
  ],
  [
    "empty 'rules' array",
    `
targetRef:
  kind: MeshService
  name: backend
rules: []
`,
    [{ field: 'spec', message: "at least one of 'from' or 'rules' has to be defined" }],
  ],
  [
    // Difference: an unknown field (`to` in a MeshTrafficPermission) is refused, not ignored.
    'sectionName without from or rules',
    `
targetRef:
  kind: Dataplane
  sectionName: test
to: []
`,
    [
      { field: 'spec.to', message: 'unknown field' },
      { field: 'spec.targetRef.sectionName', message: 'can only be used with inbound policies' },
      { field: 'spec', message: "at least one of 'from' or 'rules' has to be defined" },
    ],
  ],
  [
    "not supported kinds in 'from' array",
    `
targetRef:
  kind: MeshService
  name: backend
from:
  - targetRef:
      kind: MeshGatewayRoute
      name: mgr-1
    default:
      action: Allow
`,
    [{ field: 'spec.from[0].targetRef.kind', message: "value 'MeshGatewayRoute' is not supported" }],
  ],
  [
    'default is nil',
    `
targetRef:
  kind: Mesh
from:
  - targetRef:
      kind: Mesh
`,
    [{ field: 'spec.from[0].default.action', message: 'must be defined' }],
  ],
  [
    'rules default is nil',
    `
targetRef:
  kind: Mesh
rules:
  - default:
      deny: []
`,
    [
      {
        field: 'spec.rules[0]',
        message: "at least one of 'allow', 'allowWithShadowDeny', 'deny' has to be defined",
      },
    ],
  ],
  [
    'matches with invalid sni',
    `
targetRef:
  kind: Dataplane
  sectionName: ze-port
rules:
  - default:
      allow:
        - sni:
            type: Exact
            value: ""
      deny:
        - sni:
            type: Exact
      allowWithShadowDeny:
        - sni:
            type: Exact
            value: "not_valid"
`,
    [
      { field: 'spec.rules[0].allow[0].sni.value', message: 'must be set' },
      {
        field: 'spec.rules[0].allowWithShadowDeny[0].sni.value',
        message:
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      },
      { field: 'spec.rules[0].deny[0].sni.value', message: 'must be set' },
    ],
  ],
  [
    'matches with invalid spiffe id',
    `
targetRef:
  kind: Mesh
rules:
  - default:
      deny:
        - spiffeID:
            type: Exact
            value: some-service
      allow:
        - spiffeID:
            type: Prefix
            value: wrong
      allowWithShadowDeny:
        - spiffeID:
            type: Exact
            value: test
`,
    [
      {
        field: 'spec.rules[0].allow[0].spiffeID',
        message: 'must be a valid Spiffe ID: scheme is missing or invalid',
      },
      {
        field: 'spec.rules[0].allowWithShadowDeny[0].spiffeID',
        message: 'must be a valid Spiffe ID: scheme is missing or invalid',
      },
      {
        field: 'spec.rules[0].deny[0].spiffeID',
        message: 'must be a valid Spiffe ID: scheme is missing or invalid',
      },
    ],
  ],
  [
    'from and rules together',
    `
rules:
  - default:
      allow:
        - spiffeID:
            type: Exact
            value: spiffe://default/web
from:
  - targetRef:
      kind: Mesh
    default:
      action: Allow
`,
    [{ field: 'spec', message: "field 'from' must be empty when 'rules' is defined" }],
  ],
];

describe('MeshTrafficPermission, Kuma 2.14 validator cases', () => {
  it.each(accepted)('accepts: %s', (_, specYaml) => {
    const doc = document(specYaml);
    expect(parseResource(doc).spec).toEqual(doc.spec);
  });

  it.each(refused)('refuses: %s', (_, specYaml, violations) => {
    expect(violationsOf(document(specYaml))).toEqual(violations);
  });
});
