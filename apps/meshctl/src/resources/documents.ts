import { RESOURCE_DESCRIPTORS, WRITABLE_RESOURCE_TYPES, isApiResourceType } from '@meshtls/domain';
import YAML from 'yaml';
import type { UniversalDoc } from '../api-client';
import { isRecord } from '../json.util';
import { DocumentError } from '../cli-errors';
import type { ResourceRef } from './resource-ref';

/** The text of one `-f` argument; `name` is the path, or `<stdin>`. */
export interface SourceText {
  readonly name: string;
  readonly text: string;
}

/** One non-empty document of a source, with a label that tells the user which one it is. */
export interface SourceDocument {
  readonly label: string;
  readonly value: unknown;
}

/** A document that passed the local checks, with where it will be written. */
export interface PlannedWrite {
  readonly label: string;
  readonly ref: ResourceRef;
  readonly doc: UniversalDoc;
}

/**
 * Splits a source into its documents (multi-document YAML; JSON is read as YAML, of which it is a
 * subset). A syntax error throws a DocumentError naming the file, line and column.
 */
export function splitDocuments(source: SourceText): SourceDocument[] {
  const parsed = YAML.parseAllDocuments(source.text, { prettyErrors: true });
  const documents = Array.isArray(parsed) ? parsed : [];
  const problems: string[] = [];
  for (const doc of documents) {
    for (const err of doc.errors.slice(0, 1)) {
      const pos = err.linePos?.[0];
      const where = pos ? `${source.name}:${pos.line}:${pos.col}` : source.name;
      problems.push(`${where}: invalid YAML: ${err.message.split(/ at line \d+/)[0]}`);
    }
  }
  if (problems.length > 0) throw new DocumentError(problems);
  const values = documents.map((doc) => doc.toJS() as unknown).filter((value) => value != null);
  return values.map((value, i) => ({
    label: values.length > 1 ? `${source.name} (document ${i + 1})` : source.name,
    value,
  }));
}

/**
 * Checks every document before anything is sent: a mapping with a known `type`, a `name`, and a
 * `mesh` for mesh-scoped types. Reports every problem at once rather than the first.
 */
export function planWrites(documents: readonly SourceDocument[]): PlannedWrite[] {
  const problems: string[] = [];
  const writes: PlannedWrite[] = [];
  for (const { label, value } of documents) {
    const result = checkDocument(value);
    if (typeof result === 'string') problems.push(`${label}: ${result}`);
    else writes.push({ label, ref: result, doc: value as UniversalDoc });
  }
  if (problems.length > 0) throw new DocumentError(problems);
  if (writes.length === 0) throw new DocumentError(['no resources found in the given files']);
  return writes;
}

/** A ResourceRef for a valid document, else what is wrong with it. */
export function checkDocument(value: unknown): ResourceRef | string {
  if (!isRecord(value)) return 'a resource must be a mapping with "type" and "name"';
  const { type, name, mesh } = value;
  if (typeof type !== 'string' || type === '') return 'missing "type"';
  if (!isApiResourceType(type)) {
    return `unknown type "${type}"; known types: ${WRITABLE_RESOURCE_TYPES.join(', ')}`;
  }
  if (typeof name !== 'string' || name === '') return `${type} without "name"`;
  const descriptor = RESOURCE_DESCRIPTORS[type];
  if (descriptor.scope === 'global') return { descriptor, name };
  if (typeof mesh !== 'string' || mesh === '') return `${type} "${name}" without "mesh"`;
  return { descriptor, name, mesh };
}
