/**
 * What grew between heap snapshots of mesh-api taken by `FLEET_HEAP_DIR=DIR npm run bench:fleet`: the
 * live bytes (V8 self sizes, after the full GC each snapshot starts with) by kind of object, summed
 * over both replicas, divided by the fleet size.
 *
 *   node dist/bench/fleet/heap-diff.js DIR SIZE [TOP]
 *     compares DIR/SIZE-before-*.heapsnapshot with DIR/SIZE-after-*.heapsnapshot
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface HeapSummary {
  /** Live bytes in the heap. */
  readonly total: number;
  /** Bytes and counts by kind: `Constructor`, `(closure) name`, `(string)`, `(array) name`... */
  readonly byKind: Map<string, { bytes: number; count: number }>;
}

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Reads a `.heapsnapshot` file into totals by kind of object. */
export function readHeapSnapshot(file: string): HeapSummary {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const fields = raw.snapshot.meta.node_fields;
  const types = raw.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const edgeCountAt = fields.indexOf('edge_count');
  const edgeWidth = raw.snapshot.meta.edge_fields.length;
  const edgeTypeAt = raw.snapshot.meta.edge_fields.indexOf('type');
  const edgeNameAt = raw.snapshot.meta.edge_fields.indexOf('name_or_index');
  const propertyType = raw.snapshot.meta.edge_types[0].indexOf('property');
  const toAt = raw.snapshot.meta.edge_fields.indexOf('to_node');
  const weakType = raw.snapshot.meta.edge_types[0].indexOf('weak');
  const nodeCount = raw.nodes.length / width;
  /** The first strong retainer of each node (node index), -1 for none. */
  const owner = new Int32Array(nodeCount).fill(-1);
  /** The name of the edge from that retainer (a property name), or '' (an element or internal edge). */
  const ownerEdge: string[] = new Array(nodeCount);
  for (let i = 0, e = 0; i < raw.nodes.length; i += width) {
    const end = e + raw.nodes[i + edgeCountAt]! * edgeWidth;
    for (; e < end; e += edgeWidth) {
      if (raw.edges[e + edgeTypeAt] === weakType) continue;
      const target = raw.edges[e + toAt]! / width;
      if (owner[target] === -1) {
        owner[target] = i / width;
        const edgeName = raw.edges[e + edgeNameAt]!;
        ownerEdge[target] = raw.edges[e + edgeTypeAt] === propertyType ? raw.strings[edgeName]! : '';
      }
    }
  }
  const ownKind: string[] = new Array(nodeCount);
  let edge = 0;
  let total = 0;
  for (let i = 0; i < raw.nodes.length; i += width) {
    const type = types[raw.nodes[i + typeAt]!]!;
    const name = raw.strings[raw.nodes[i + nameAt]!]!;
    const size = raw.nodes[i + sizeAt]!;
    const edges = raw.nodes[i + edgeCountAt]!;
    total += size;
    let kind = kindOf(type, name);
    if (type === 'object' && name === 'Object') {
      // Plain objects told apart by their first property names: what they are becomes readable.
      const names: string[] = [];
      for (let e = edge; e < edge + edges * edgeWidth && names.length < 4; e += edgeWidth) {
        if (raw.edges[e + edgeTypeAt] === propertyType) names.push(raw.strings[raw.edges[e + edgeNameAt]!]!);
      }
      kind = `{${names.join(', ')}}`;
    } else if (name === 'Timeout') {
      // A timer told by the function it runs.
      for (let e = edge; e < edge + edges * edgeWidth; e += edgeWidth) {
        if (raw.strings[raw.edges[e + edgeNameAt]!] === '_onTimeout') {
          kind = `Timeout → ${raw.strings[raw.nodes[raw.edges[e + toAt]! + nameAt]!] || 'anonymous'}`;
        }
      }
    }
    edge += edges * edgeWidth;
    ownKind[i / width] = kind;
  }
  // Arrays, strings and anonymous closures are told by what holds them.
  const byKind = new Map<string, { bytes: number; count: number }>();
  for (let n = 0; n < nodeCount; n++) {
    let kind = ownKind[n]!;
    const size = raw.nodes[n * width + sizeAt]!;
    if (/^\((array|string|hidden)\)|^\(closure\) anonymous|^system$|^(Array|Map|Set)$/.test(kind)) {
      // Through arrays, collections and system objects to the first named holder, and the property it
      // holds them in.
      let o = n;
      let via = '';
      for (let hops = 0; hops < 4 && owner[o]! >= 0; hops++) {
        via = ownerEdge[o] || via;
        o = owner[o]!;
        if (!/^\((array|hidden)\)|^system$|^(Array|Map|Set)$/.test(ownKind[o]!)) break;
      }
      if (o !== n) kind = `${kind} ← ${ownKind[o]}${via ? `.${via}` : ''}`;
    }
    const entry = byKind.get(kind);
    if (entry) {
      entry.bytes += size;
      entry.count++;
    } else byKind.set(kind, { bytes: size, count: 1 });
  }
  return { total, byKind };
}

function kindOf(type: string, name: string): string {
  switch (type) {
    case 'object':
    case 'native':
      return name.split(' ')[0] || '(anonymous object)';
    case 'closure':
      return `(closure) ${name || 'anonymous'}`;
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'array':
    case 'hidden':
    case 'code':
      return `(${type}) ${name.length > 40 ? name.slice(0, 40) : name}`;
    default:
      return `(${type})`;
  }
}

function sum(files: string[]): HeapSummary {
  const byKind = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (const file of files) {
    const one = readHeapSnapshot(file);
    total += one.total;
    for (const [k, v] of one.byKind) {
      const e = byKind.get(k) ?? { bytes: 0, count: 0 };
      e.bytes += v.bytes;
      e.count += v.count;
      byKind.set(k, e);
    }
  }
  return { total, byKind };
}

function main(): void {
  const [dir, sizeText, topText] = process.argv.slice(2);
  if (!dir || !sizeText) throw new Error('usage: heap-diff.js DIR SIZE [TOP]');
  const size = Number(sizeText);
  const of = (label: string) =>
    readdirSync(dir)
      .filter((f) => f.startsWith(`${size}-${label}-`) && f.endsWith('.heapsnapshot'))
      .map((f) => join(dir, f));
  const before = sum(of('before'));
  const after = sum(of('after'));
  const rows = [...new Set([...before.byKind.keys(), ...after.byKind.keys()])].map((kind) => {
    const b = before.byKind.get(kind) ?? { bytes: 0, count: 0 };
    const a = after.byKind.get(kind) ?? { bytes: 0, count: 0 };
    return { kind, bytes: a.bytes - b.bytes, count: a.count - b.count };
  });
  rows.sort((x, y) => y.bytes - x.bytes);
  const perDp = (b: number) => (b / size).toFixed(0).padStart(7);
  console.log(
    `live heap: ${(before.total / 1048576).toFixed(1)} MB before, ${(after.total / 1048576).toFixed(1)} MB after: ${perDp(after.total - before.total)} B per dataplane (${size})`,
  );
  console.log('  B/dp  objects/dp  kind');
  for (const r of rows.slice(0, Number(topText ?? 40)))
    console.log(`${perDp(r.bytes)}  ${(r.count / size).toFixed(2).padStart(9)}  ${r.kind}`);
}

if (require.main === module) main();
