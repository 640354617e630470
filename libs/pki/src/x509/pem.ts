/** PEM labels used here. */
export const PemLabel = {
  Certificate: 'CERTIFICATE',
  CertificateRequest: 'CERTIFICATE REQUEST',
} as const;

/** DER bytes as a PEM block with 64-character lines and a trailing newline. */
export function toPem(der: Buffer, label: string): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) {
    lines.push(b64.slice(i, i + 64));
  }
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * The PEM blocks of text, in order, each with its label and its text; `der` is undefined when the body
 * is not base64.
 */
export function pemBlocks(text: string): { label: string; pem: string; der: Buffer | undefined }[] {
  const blocks: { label: string; pem: string; der: Buffer | undefined }[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    const body = match[2].replace(/\s+/g, '');
    const valid = body.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(body);
    blocks.push({
      label: match[1],
      pem: `${match[0]}\n`,
      der: valid ? Buffer.from(body, 'base64') : undefined,
    });
  }
  return blocks;
}

/** The DER of the only block with `label`, or undefined when there is not exactly one such valid block. */
export function singlePemDer(text: string, label: string): Buffer | undefined {
  const blocks = pemBlocks(text).filter((b) => b.label === label);
  return blocks.length === 1 ? blocks[0].der : undefined;
}
