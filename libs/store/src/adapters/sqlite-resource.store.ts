import Database from 'better-sqlite3';
import type { ResourceKey, ResourceRecord, ResourceType } from '@meshtls/domain';
import { ResourceAlreadyExistsError, ResourceConflictError, ResourceNotFoundError } from '@meshtls/domain';
import type { Clock, DegradationReporter } from '@meshtls/util';
import type { ListOptions, ListResult, ResourceChange, ResourceStore } from '../ports/resource.store';
import { ChangeListeners, keyOf, makeRecord } from './resource-records';
import { StoreFullError } from './store-full.error';

export interface SqliteResourceStoreOptions {
  /** Database file (created when missing); `:memory:` for a throwaway one. */
  readonly file: string;
  readonly clock: Clock;
  /**
   * Told that the store is degraded (source {@link STORE_FULL_SOURCE}) when a write fails for lack of
   * space, and that it is fine again at the next write that succeeds.
   */
  readonly degradations?: DegradationReporter;
}

/** The degradation a full database reports, cleared by the next successful write. */
export const STORE_FULL_SOURCE = 'store:full';

interface Row {
  type: string;
  mesh: string;
  name: string;
  version: number;
  spec: string;
  creation_time: string;
  modification_time: string;
}

// Global resources are stored with mesh '' (no mesh name is empty): NULL would defeat the primary key.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS resources (
    type TEXT NOT NULL, mesh TEXT NOT NULL, name TEXT NOT NULL,
    version INTEGER NOT NULL, spec TEXT NOT NULL,
    creation_time TEXT NOT NULL, modification_time TEXT NOT NULL,
    PRIMARY KEY (type, mesh, name)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS version_counter (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
  INSERT OR IGNORE INTO version_counter (id, last) VALUES (1, 0);
`;

/**
 * The embedded persistent store of standalone mode: one SQLite file in WAL mode. Versions come from one
 * counter kept in the file, so they only grow, across deletes and restarts. Every write is an immediate
 * transaction, so two processes sharing the file still cannot lose an update; watchers, however, hear only
 * the writes made through this instance.
 */
export class SqliteResourceStore implements ResourceStore {
  private readonly db: Database.Database;
  private readonly listeners = new ChangeListeners();
  private readonly stmt;
  private readonly clock: Clock;
  private readonly file: string;
  private readonly degradations: DegradationReporter | undefined;

  constructor(options: SqliteResourceStoreOptions) {
    this.clock = options.clock;
    this.file = options.file;
    this.degradations = options.degradations;
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    const where = 'WHERE type = ? AND mesh = ? AND name = ?';
    this.stmt = {
      get: this.db.prepare<[string, string, string], Row>(`SELECT * FROM resources ${where}`),
      nextVersion: this.db.prepare<[], { last: number }>(
        'UPDATE version_counter SET last = last + 1 WHERE id = 1 RETURNING last',
      ),
      insert: this.db.prepare(
        'INSERT INTO resources (type, mesh, name, version, spec, creation_time, modification_time) ' +
          'VALUES (@type, @mesh, @name, @version, @spec, @creation_time, @modification_time)',
      ),
      update: this.db.prepare(
        `UPDATE resources SET version = ?, spec = ?, modification_time = ? ${where} AND version = ?`,
      ),
      delete: this.db.prepare(`DELETE FROM resources ${where}`),
    };
  }

  async get(key: ResourceKey): Promise<ResourceRecord | undefined> {
    const row = this.stmt.get.get(key.type, key.mesh ?? '', key.name);
    return row && toRecord(row);
  }

  async list(type: ResourceType, options: ListOptions = {}): Promise<ListResult> {
    const filter = options.mesh === undefined ? 'type = ?' : 'type = ? AND mesh = ?';
    const params: unknown[] = options.mesh === undefined ? [type] : [type, options.mesh];
    const count = this.db.prepare<unknown[], { n: number }>(
      `SELECT COUNT(*) AS n FROM resources WHERE ${filter}`,
    );
    const page = this.db.prepare<unknown[], Row>(
      `SELECT * FROM resources WHERE ${filter} ORDER BY mesh, name LIMIT ? OFFSET ?`,
    );
    const limit = options.limit === undefined ? -1 : Math.max(0, options.limit);
    const rows = page.all(...params, limit, Math.max(0, options.offset ?? 0));
    return { total: count.get(...params)?.n ?? 0, items: rows.map(toRecord) };
  }

  async create(key: ResourceKey, spec: unknown): Promise<ResourceRecord> {
    const now = this.clock.now().toISOString();
    const row = this.write((): Row => {
      if (this.stmt.get.get(key.type, key.mesh ?? '', key.name))
        throw new ResourceAlreadyExistsError(keyOf(key));
      const fresh: Row = {
        ...rowKey(key),
        version: this.nextVersion(),
        spec: JSON.stringify(spec ?? null),
        creation_time: now,
        modification_time: now,
      };
      this.stmt.insert.run(fresh);
      return fresh;
    });
    return this.emitUpsert(toRecord(row));
  }

  async update(key: ResourceKey, spec: unknown, expectedVersion: number): Promise<ResourceRecord> {
    const now = this.clock.now().toISOString();
    const row = this.write((): Row => {
      const current = this.stmt.get.get(key.type, key.mesh ?? '', key.name);
      if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
      if (current.version !== expectedVersion) throw new ResourceConflictError(keyOf(key));
      const next: Row = { ...current, version: this.nextVersion(), spec: JSON.stringify(spec ?? null) };
      next.modification_time = now;
      this.stmt.update.run(next.version, next.spec, now, key.type, key.mesh ?? '', key.name, expectedVersion);
      return next;
    });
    return this.emitUpsert(toRecord(row));
  }

  async delete(key: ResourceKey, expectedVersion?: number): Promise<void> {
    const version = this.write((): number => {
      const current = this.stmt.get.get(key.type, key.mesh ?? '', key.name);
      if (current === undefined) throw new ResourceNotFoundError(keyOf(key));
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new ResourceConflictError(keyOf(key));
      }
      this.stmt.delete.run(key.type, key.mesh ?? '', key.name);
      return this.nextVersion();
    });
    this.listeners.emit({ kind: 'delete', key: keyOf(key), version });
  }

  watch(listener: (change: ResourceChange) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Reads are never behind the writes: nothing to wait for. */
  async caughtUp(): Promise<void> {}

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `work` in an immediate transaction. A full database (SQLITE_FULL: the disk, or the file's size
   * limit) becomes a StoreFullError and reports the store degraded until a write succeeds again.
   */
  private write<T>(work: () => T): T {
    let result: T;
    try {
      result = this.db.transaction(work).immediate();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_FULL') throw error;
      const reason = `the embedded store ${this.file} is full (no space left on its disk): writes fail until space is freed`;
      this.degradations?.report(STORE_FULL_SOURCE, reason);
      throw new StoreFullError(`${reason}; nothing was written`, { cause: error });
    }
    this.degradations?.clear(STORE_FULL_SOURCE);
    return result;
  }

  private nextVersion(): number {
    const row = this.stmt.nextVersion.get();
    if (row === undefined) throw new Error('version counter row is missing');
    return row.last;
  }

  private emitUpsert(record: ResourceRecord): ResourceRecord {
    // Listeners get their own copy so none can change what the caller holds.
    this.listeners.emit({
      kind: 'upsert',
      record: { meta: record.meta, spec: structuredClone(record.spec) },
    });
    return record;
  }
}

function rowKey(key: ResourceKey): Pick<Row, 'type' | 'mesh' | 'name'> {
  return { type: key.type, mesh: key.mesh ?? '', name: key.name };
}

function toRecord(row: Row): ResourceRecord {
  const key: ResourceKey = {
    type: row.type as ResourceType,
    ...(row.mesh === '' ? {} : { mesh: row.mesh }),
    name: row.name,
  };
  return makeRecord(key, JSON.parse(row.spec), row.version, row.creation_time, row.modification_time);
}
