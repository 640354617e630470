import { sessionKey, type DataplaneSession } from './dataplane-session';
import { SharedMeshViews } from './shared-mesh-views';

/** The streams connected to this replica, one per dataplane (`{mesh}/{name}`): the newest wins. */
export class SessionRegistry {
  private readonly sessions = new Map<string, DataplaneSession>();
  /** The mTLS view the sessions of each mesh share. */
  readonly views = new SharedMeshViews();

  /** Makes `session` its dataplane's current stream; returns the one it replaces, if any. */
  add(session: DataplaneSession): DataplaneSession | undefined {
    const previous = this.sessions.get(session.key);
    this.sessions.set(session.key, session);
    return previous;
  }

  /** Forgets `session` unless a newer stream of its dataplane has replaced it. */
  removeIfCurrent(session: DataplaneSession): void {
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
  }

  get(mesh: string, name: string): DataplaneSession | undefined {
    return this.sessions.get(sessionKey(mesh, name));
  }

  /** The streams of the dataplanes of `mesh`, as they are now. */
  ofMesh(mesh: string): DataplaneSession[] {
    return [...this.sessions.values()].filter((s) => s.mesh === mesh);
  }

  values(): IterableIterator<DataplaneSession> {
    return this.sessions.values();
  }

  get size(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions.clear();
  }
}
