/**
 * Just enough DER (X.690) to read the subject, issuer and validity of an X.509 certificate. Node's
 * X509Certificate gives these only as OpenSSL-formatted text, which loses the attribute order, the
 * string types and multi-valued RDNs that RabbitMQ's RFC 4514 rendering depends on; the user name of
 * an EXTERNAL login is that rendering, so it has to come out byte for byte the same.
 */

/** One decoded attribute of a distinguished name: `type` is the dotted OID. */
export interface NameAttribute {
  type: string;
  /** the DER string type tag (12 UTF8String, 19 PrintableString, ...) */
  tag: number;
  value: Buffer;
}

/** A name as in the certificate: a sequence of RDNs, each a set of one or more attributes. */
export type DistinguishedName = NameAttribute[][];

export interface CertificateFields {
  issuer: DistinguishedName;
  subject: DistinguishedName;
  /** UTCTime / GeneralizedTime as written in the certificate, with their tags */
  notBefore: { tag: number; text: string };
  notAfter: { tag: number; text: string };
}

interface Tlv {
  tag: number;
  /** content bytes */
  start: number;
  end: number;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const CONTEXT_0 = 0xa0;

function readTlv(der: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('truncated DER');
  const tag = der[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not used in certificates');
  let len = der[pos + 1] as number;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start, end };
}

function expect(der: Buffer, pos: number, limit: number, tag: number): Tlv {
  const t = readTlv(der, pos, limit);
  if (t.tag !== tag)
    throw new Error(`unexpected DER tag 0x${t.tag.toString(16)}, wanted 0x${tag.toString(16)}`);
  return t;
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.start; pos < parent.end;) {
    const t = readTlv(der, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

function oid(bytes: Buffer): string {
  if (bytes.length === 0) throw new Error('empty OID');
  const first = bytes[0] as number;
  const arcs = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  let v = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

function name(der: Buffer, t: Tlv): DistinguishedName {
  return children(der, t).map((set) => {
    if (set.tag !== SET) throw new Error('RDN is not a SET');
    return children(der, set).map((atv) => {
      const [type, value] = children(der, atv);
      if (atv.tag !== SEQUENCE || !type || type.tag !== OID || !value)
        throw new Error('malformed AttributeTypeAndValue');
      return {
        type: oid(der.subarray(type.start, type.end)),
        tag: value.tag,
        value: der.subarray(value.start, value.end),
      };
    });
  });
}

/** Reads issuer, validity and subject from a DER certificate; throws on malformed input. */
export function certificateFields(der: Buffer): CertificateFields {
  const cert = expect(der, 0, der.length, SEQUENCE);
  const tbs = expect(der, cert.start, cert.end, SEQUENCE);
  const parts = children(der, tbs);
  // tbsCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, ...
  const offset = parts[0]?.tag === CONTEXT_0 ? 1 : 0;
  const issuer = parts[offset + 2];
  const validity = parts[offset + 3];
  const subject = parts[offset + 4];
  if (!issuer || !validity || !subject || validity.tag !== SEQUENCE)
    throw new Error('malformed tbsCertificate');
  const [from, to] = children(der, validity);
  if (!from || !to) throw new Error('malformed validity');
  const time = (t: Tlv): { tag: number; text: string } => ({
    tag: t.tag,
    text: der.toString('latin1', t.start, t.end),
  });
  return {
    issuer: name(der, issuer),
    subject: name(der, subject),
    notBefore: time(from),
    notAfter: time(to),
  };
}
