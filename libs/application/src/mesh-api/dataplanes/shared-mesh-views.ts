import type { MeshMtlsView } from '@meshtls/domain';

/**
 * Each mesh's mTLS view as last admitted: the sessions of a mesh share one object while the view is
 * unchanged, instead of one copy per connected dataplane.
 */
export class SharedMeshViews {
  private readonly views = new Map<string, MeshMtlsView>();

  /** `view`, or the equal one already shared for `mesh`. */
  share(mesh: string, view: MeshMtlsView): MeshMtlsView {
    const known = this.views.get(mesh);
    if (known && JSON.stringify(known) === JSON.stringify(view)) return known;
    this.views.set(mesh, view);
    return view;
  }
}
