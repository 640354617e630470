import { DerFormatError, derBytes, derChildren, derContents, derSequence, readDer } from '@meshtls/pki';

/**
 * A client's TLS 1.3 session without its copy of the upstream's certificate. OpenSSL parses that copy
 * again every time the session is offered (the largest cost of a resumed connection for the client),
 * and nothing reads it: Node shows no peer certificate on a resumed connection, a TLS 1.3 resumption
 * authenticates the upstream by the session's secret (only the server that issued the ticket can use
 * it), and the identity and expiry the full handshake verified travel beside it (`VerifiedSession`).
 * A TLS 1.2 session (whose resumption Node counts as verified only with the certificate in it), or one
 * not understood, is returned as it is.
 */
export function withoutPeerCertificate(session: Buffer): Buffer {
  try {
    const top = readDer(session);
    if (top.tag !== DER_SEQUENCE || top.end !== session.length) return session;
    // SSL_SESSION ::= SEQUENCE { version INTEGER, sslVersion INTEGER, cipher, sessionID, masterKey,
    //   ... peer [3] EXPLICIT Certificate OPTIONAL, ... } (OpenSSL's ssl_asn1.c)
    const fields = derChildren(session, top);
    const protocol = fields[1];
    if (protocol?.tag !== DER_INTEGER || !derContents(session, protocol).equals(TLS_1_3)) return session;
    const kept = fields.filter((field) => field.tag !== SESSION_PEER_TAG);
    if (kept.length === fields.length) return session;
    return derSequence(...kept.map((field) => derBytes(session, field)));
  } catch (error) {
    if (error instanceof DerFormatError) return session;
    throw error;
  }
}

const DER_SEQUENCE = 0x30;
const DER_INTEGER = 0x02;
const TLS_1_3 = Buffer.from([0x03, 0x04]);
/** `[3]` constructed, context-specific: the peer certificate of an SSL_SESSION. */
const SESSION_PEER_TAG = 0xa3;
