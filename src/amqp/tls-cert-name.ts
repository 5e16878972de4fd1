/**
 * Certificate names and validity rendered as RabbitMQ renders them (rabbit_cert_info), because these
 * strings are user names for EXTERNAL logins (`ssl_cert_login_from = distinguished_name`) and appear in
 * connection listings (peer_cert_subject, peer_cert_issuer, peer_cert_validity):
 *
 * - a distinguished name is RFC 4514-ish: RDNs in reverse order joined by ",", multi-valued RDNs
 *   joined by "+", known attribute types by short upper-case names (CN, O, OU, ..., EMAILADDRESS, UID),
 *   others by dotted OID; `"+,;<>\` escaped with a backslash, a leading space or "#" and a trailing
 *   space escaped, and every UTF-8 byte below 32 or from 126 up written as `\HH`;
 * - common names (`ssl_cert_login_from = common_name`) are the CN values unescaped, in certificate
 *   order, joined by ",";
 * - validity is "start - end" in ISO 8601 UTC.
 */
import type { DistinguishedName, NameAttribute } from './tls-der.js';

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATIONQUALIFIER',
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'TITLE',
  '2.5.4.6': 'C',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.65': 'PSEUDONYM',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.1': 'UID',
};

const COMMON_NAME = '2.5.4.3';

const TAG_TELETEX = 0x14;
const TAG_UNIVERSAL = 0x1c;
const TAG_BMP = 0x1e;
const TAG_UTC_TIME = 0x17;

/** The attribute value as UTF-8 bytes (DER strings come in several encodings). */
function utf8(a: NameAttribute): Buffer {
  switch (a.tag) {
    case TAG_TELETEX: // treated as ISO-8859-1, as RabbitMQ does
      return Buffer.from(a.value.toString('latin1'), 'utf8');
    case TAG_BMP:
      return Buffer.from(Buffer.from(a.value).swap16().toString('utf16le'), 'utf8');
    case TAG_UNIVERSAL: {
      const points: number[] = [];
      for (let i = 0; i + 4 <= a.value.length; i += 4) points.push(a.value.readUInt32BE(i));
      return Buffer.from(String.fromCodePoint(...points), 'utf8');
    }
    default: // UTF8String, PrintableString, IA5String, ... are bytes already
      return a.value;
  }
}

const SPECIAL = new Set([...'"+,;<>\\'].map((c) => c.charCodeAt(0)));
const SPACE = 0x20;
const HASH = 0x23;

function escapeValue(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (i === 0 && (b === SPACE || b === HASH)) out += '\\' + String.fromCharCode(b);
    else if (i === bytes.length - 1 && b === SPACE) out += '\\ ';
    else if (b < 32 || b >= 126) out += '\\' + b.toString(16).toUpperCase().padStart(2, '0');
    else if (SPECIAL.has(b)) out += '\\' + String.fromCharCode(b);
    else out += String.fromCharCode(b);
  }
  return out;
}

/** RabbitMQ's string form of a distinguished name (peer_cert_subject, the default EXTERNAL user name). */
export function formatDistinguishedName(dn: DistinguishedName): string {
  return dn
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${escapeValue(utf8(a))}`).join('+'))
    .reverse()
    .join(',');
}

/** The subject's CN values joined by ","; undefined when there is none. */
export function commonNames(dn: DistinguishedName): string | undefined {
  const cns = dn.flat().filter((a) => a.type === COMMON_NAME);
  if (cns.length === 0) return undefined;
  return cns.map((a) => utf8(a).toString('utf8')).join(',');
}

/** "YYMMDDHHMMSSZ" (UTCTime) or "YYYYMMDDHHMMSSZ" (GeneralizedTime) as "YYYY-MM-DDTHH:MM:SSZ". */
function isoTime(t: { tag: number; text: string }): string {
  // RabbitMQ prefixes a UTCTime year with "20" regardless of its value; so do we.
  const full = t.tag === TAG_UTC_TIME ? `20${t.text}` : t.text;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(full);
  if (!m) return t.text;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

/** peer_cert_validity: "2024-01-01T00:00:00Z - 2025-01-01T00:00:00Z". */
export function formatValidity(
  from: { tag: number; text: string },
  to: { tag: number; text: string },
): string {
  return `${isoTime(from)} - ${isoTime(to)}`;
}
