import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { usageError } from './errors.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The PEM certificates of a CA file (`from` says where its path came from: "--ca-file",
 * "PROTIME_HOOKS_CA_FILE", "the profile's CA file"). A file that is missing, unreadable or holds
 * no certificate is a usage error naming it: a wrong path must not look like an untrusted server.
 */
export function readCaFile(path: string, from: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code ?? String(error)})`;
    throw usageError('bad-ca-file', `The CA file ${path} (${from}) ${why}.`, hint(from));
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  const unreadable = blocks.findIndex((block) => !parses(block));
  if (blocks.length === 0 || unreadable !== -1) {
    const what =
      blocks.length === 0
        ? 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)'
        : `holds a certificate that does not parse (number ${unreadable + 1})`;
    throw usageError('bad-ca-file', `The CA file ${path} (${from}) ${what}.`, hint(from));
  }
  return blocks.join('\n');
}

function parses(block: string): boolean {
  try {
    new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}

function hint(from: string): string {
  return from === 'PROTIME_HOOKS_CA_FILE'
    ? 'Point PROTIME_HOOKS_CA_FILE at a readable file of PEM certificates, or unset it.'
    : 'Pass a readable file of PEM certificates with `protime-hooks login --ca-file <path>` (or drop it with --no-ca-file).';
}
