#!/usr/bin/env node
// A webhook receiver that accepts every key protime-hooks says is current, with no restart at a
// renewal. It knows keys from one of two places:
//   KEYS_FILE=/path/keys.json  the keys file that `protime-hooks login --keys-file` keeps up to date
//   KEYS_DIR=/path/secrets     one <webhook-id>.key file per key, written by a deploy hook
// Keys are reloaded on SIGHUP, and whenever a delivery verifies with none of them: a new webhook
// signs with its new key from its first second, so a failed check is retried against freshly read
// keys every 50 ms for up to 3 s before the answer is 401.
// Signature: base64(HMAC-SHA256(key, raw body)) in X-Protime-Signature (what the emulator sends;
// set SIGNATURE_HEADER, ALGORITHM and ENCODING for another scheme).
// Prints one JSON line per delivery: {"verified","webhookId","changeVersion","status"}.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const { KEYS_FILE, KEYS_DIR, PORT = '3000', HOST = '127.0.0.1' } = process.env;
const HEADER = (process.env.SIGNATURE_HEADER ?? 'X-Protime-Signature').toLowerCase();
const ALGORITHM = process.env.ALGORITHM ?? 'sha256';
const ENCODING = process.env.ENCODING ?? 'base64';
const MAX_BODY = 1024 * 1024;
const GRACE_MS = 3000;
const RETRY_MS = 50;

if (!KEYS_FILE && !KEYS_DIR) {
  console.error('Set KEYS_FILE (a protime-hooks keys file) or KEYS_DIR (a folder of <id>.key files).');
  process.exit(2);
}

function loadKeys() {
  try {
    if (KEYS_FILE) return JSON.parse(readFileSync(KEYS_FILE, 'utf8')).map((entry) => entry.key);
    return readdirSync(KEYS_DIR)
      .filter((name) => name.endsWith('.key'))
      .map((name) => readFileSync(join(KEYS_DIR, name), 'utf8').trim());
  } catch (error) {
    // A missing or unreadable source means no keys for now, not a crash: the next reload may find them.
    console.error(`Could not load keys: ${error.message}`);
    return [];
  }
}

let keys = loadKeys();
process.on('SIGHUP', () => (keys = loadKeys()));

function verifies(key, body, signature) {
  const expected = Buffer.from(createHmac(ALGORITHM, key).update(body).digest(ENCODING));
  const given = Buffer.from(signature.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function verify(body, signature) {
  const deadline = Date.now() + GRACE_MS;
  for (;;) {
    if (keys.some((key) => verifies(key, body, signature))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    keys = loadKeys();
  }
}

const server = createServer((request, response) => {
  const chunks = [];
  let size = 0;
  request.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  request.on('end', async () => {
    if (size > MAX_BODY) return void response.writeHead(413).end();
    const body = Buffer.concat(chunks);
    const signature = request.headers[HEADER];
    const verified = typeof signature === 'string' && (await verify(body, signature));
    const status = verified ? 204 : 401;
    response.writeHead(status).end();
    let changeVersion = null;
    try {
      changeVersion = JSON.parse(body.toString('utf8')).data?.changeVersion ?? null;
    } catch {}
    const webhookId = request.headers['x-protime-webhook-id'] ?? null;
    process.stdout.write(`${JSON.stringify({ verified, webhookId, changeVersion, status })}\n`);
  });
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(Number(PORT), HOST, () => console.error(`Receiving on http://${HOST}:${server.address().port}/ with ${keys.length} key(s).`));
