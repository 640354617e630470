// ── ports: the contract between mesh-api and ca-signer (what crosses the bus, the errors both sides map) ──
export * from './ports';

// ── shared: code more than one role runs ──
export * from './shared';

// ── ca-signer: the CA backends, admission and the signing side of issuance ──
export * from './ca-signer';

// ── mesh-api: resources, its client of ca-signer, dataplanes, tokens, insight queries ──
export * from './mesh-api';

// ── rotation: the rotation-scheduler's scheduler and loop ──
export * from './rotation';

// ── insights: the stats-collector's recorder ──
export * from './insights';
