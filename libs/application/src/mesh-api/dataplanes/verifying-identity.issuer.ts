import type { TrustAnchorDto } from '@meshtls/contracts';
import type { CaSwitchSpec, MeshSpec } from '@meshtls/domain';
import { StaleIssueRequestError, type IssueCertificateResult } from '../../ports/issue-certificate.contract';
import {
  issueWithCsr,
  type IdentityIssuer,
  type IssueIdentityCommand,
  type IssuedIdentity,
  type SignCommand,
} from './identity-issuer';
import { IssuedIdentityRejectedError, type IssuedIdentityVerifier } from './issued-identity.verifier';

/** How many times a request ca-signer found stale is asked again with what this store then holds. */
const STALE_ATTEMPTS = 3;
/** How long this store is given to catch up with what ca-signer already holds. */
const CATCH_UP_MS = 5_000;

/**
 * mesh-api's issuer: decides what is signed from its own store (the Mesh and Dataplane revisions and the
 * enabled backend), has it signed by `sign` (ca-signer over the bus), and checks the answer with
 * `verifier` before it goes anywhere; a rejected answer is reported to `onRejected` (logged and counted
 * by the caller) and fails the issuance. When ca-signer holds newer revisions than this store (it answers
 * `stale`), this store is given a moment to catch up and the request is made again with what it holds.
 */
export class VerifyingIdentityIssuer implements IdentityIssuer {
  constructor(
    private readonly sign: (command: SignCommand) => Promise<IssueCertificateResult>,
    private readonly verifier: IssuedIdentityVerifier,
    private readonly onRejected: (error: IssuedIdentityRejectedError) => void = () => undefined,
  ) {}

  issue(command: IssueIdentityCommand): Promise<IssuedIdentity> {
    return issueWithCsr(command, async (csrPem) => {
      for (let attempt = 1; ; attempt++) {
        const facts = await this.verifier.facts(command.mesh, command.dataplane);
        const signed: SignCommand = {
          ...command,
          csrPem,
          meshVersion: facts.mesh.meta.version,
          dataplaneVersion: facts.dataplane.meta.version,
          backend: facts.backend.name,
        };
        let answer: IssueCertificateResult;
        try {
          answer = await this.sign(signed);
        } catch (error) {
          if (!(error instanceof StaleIssueRequestError) || attempt >= STALE_ATTEMPTS) throw error;
          await this.verifier.newerThan(facts, CATCH_UP_MS);
          continue;
        }
        try {
          return await this.verifier.verify(signed, facts, answer);
        } catch (error) {
          if (error instanceof IssuedIdentityRejectedError) this.onRejected(error);
          throw error;
        }
      }
    });
  }

  trustBundle(mesh: string, spec: MeshSpec, caSwitch?: CaSwitchSpec): Promise<TrustAnchorDto[]> {
    return this.verifier.trustBundle(mesh, spec, caSwitch);
  }
}
