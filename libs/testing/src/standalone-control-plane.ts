import { join } from 'node:path';
import { AppProcess } from './app-process';
import { freePort } from './ports';

/** A dataplane token for `mesh`/`name` from a mesh-api (`POST /tokens/dataplane`); admin token if needed. */
export async function dataplaneToken(
  apiUrl: string,
  mesh: string,
  name: string,
  adminToken?: string,
): Promise<string> {
  const response = await fetch(`${apiUrl}/tokens/dataplane`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
    },
    body: JSON.stringify({ mesh, name }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /tokens/dataplane answered ${response.status}: ${text}`);
  return text.trim();
}

/** The standalone control plane (`npm start`) as a process, on free ports, its data in `dataDir`. */
export interface StandaloneControlPlane {
  readonly process: AppProcess;
  /** `http://127.0.0.1:port` of its REST API. */
  readonly url: string;
  /** `127.0.0.1:port` of its dataplane server. */
  readonly dpAddress: string;
  /** The CA sidecars verify the dataplane server with (generated into the data dir). */
  readonly dpCaFile: string;
  dataplaneToken(mesh: string, name: string): Promise<string>;
  stop(): Promise<unknown>;
}

export async function startStandaloneControlPlane(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<StandaloneControlPlane> {
  const [httpPort, dpPort] = [await freePort(), await freePort()];
  const process = await AppProcess.start('control-plane', {
    MESH_DATA_DIR: dataDir,
    MESH_HTTP_PORT: String(httpPort),
    MESH_DP_SERVER_PORT: String(dpPort),
    ...env,
  });
  const url = `http://127.0.0.1:${httpPort}`;
  return {
    process,
    url,
    dpAddress: `127.0.0.1:${dpPort}`,
    dpCaFile: join(dataDir, 'dp-server', 'ca.pem'),
    dataplaneToken: (mesh, name) => dataplaneToken(url, mesh, name),
    stop: () => process.stop(),
  };
}
