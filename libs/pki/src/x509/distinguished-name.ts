import { derOid, derSequence, derTlv, derUtf8String, DerTag } from '../der/der.writer';
import { Oid } from './oids';

/** Attributes of a distinguished name, most significant first, as they are written. */
export interface NameAttributes {
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName?: string;
}

/** X.520 upper bound of these attributes (ub-organization-name, ub-common-name...). */
const MAX_ATTRIBUTE_LENGTH = 64;

/** DER of a Name: one RDN per attribute, UTF8String values (names may hold `_`, which PrintableString lacks). */
export function distinguishedNameDer(name: NameAttributes): Buffer {
  const rdns: Buffer[] = [];
  const add = (oid: string, value: string | undefined) => {
    if (value !== undefined && value !== '') {
      const text = value.slice(0, MAX_ATTRIBUTE_LENGTH);
      rdns.push(derTlv(DerTag.Set, derSequence(derOid(oid), derUtf8String(text))));
    }
  };
  add(Oid.organization, name.organization);
  add(Oid.organizationalUnit, name.organizationalUnit);
  add(Oid.commonName, name.commonName);
  return derSequence(...rdns);
}
