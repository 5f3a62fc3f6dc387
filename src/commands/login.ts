import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Context } from '../context.js';
import { syncKeysFile } from '../lifecycle/keys.js';
import { liveRecords } from '../lifecycle/subscriptions.js';
import { DEFAULT_SCOPES, fetchToken, scopesMissing, type TokenAuth } from '../protime/auth.js';
import { readCaFile } from '../shared/ca-file.js';
import { authError, usageError } from '../shared/errors.js';
import { defaultHosts, type Environment } from '../shared/hosts.js';
import { fields, type View } from '../shared/output.js';
import { oneLine, promptSecret, readSecretFile, readStdin } from '../shared/prompt.js';
import { checkUrl } from '../shared/urls.js';

export interface LoginOptions {
  tenant?: string;
  clientId?: string;
  clientSecretStdin: boolean;
  /** --client-secret-file, else PROTIME_CLIENT_SECRET_FILE. */
  clientSecretFile?: string;
  /** PROTIME_CLIENT_SECRET (never a flag: argv is visible to every user of the machine). */
  clientSecretEnv?: string;
  environment: Environment;
  apiUrl?: string;
  tokenUrl?: string;
  userAgent?: string;
  /** Added to the default webhooks read/write scopes. */
  scopes: string[];
  /** --keys-file (saved on the profile); false (--no-keys-file) forgets it; undefined keeps what was saved. */
  keysFile?: string | false;
  keysFileMode?: number;
  /** --ca-file (saved on the profile); false (--no-ca-file) forgets it; undefined keeps what was saved. */
  caFile?: string | false;
  /** --token-auth; undefined keeps what was saved (post at first). */
  tokenAuth?: TokenAuth;
}

export interface LoginResult {
  profile: string;
  tenant: string;
  environment: Environment;
  apiUrl: string;
  tokenUrl: string;
  clientId: string;
  scopes: string[];
  tokenExpiresAt: string;
  keysFile: string | null;
  caFile: string | null;
  tokenAuth: TokenAuth;
}

const SECRET_FLAGS = '--client-secret-stdin, --client-secret-file <path>, or PROTIME_CLIENT_SECRET_FILE / PROTIME_CLIENT_SECRET';

/** Proves the credentials with a token request, checks the granted scopes, then stores everything. */
export async function run(options: LoginOptions, ctx: Context): Promise<LoginResult> {
  const tenant = checkTenant(options.tenant);
  const clientId = options.clientId?.trim();
  if (!clientId) throw usageError('missing-client-id', 'The client id is required.', 'Pass --client-id <id> or set PROTIME_CLIENT_ID.');
  const hosts = defaultHosts(options.environment, tenant);
  const apiUrl = checkUrl(options.apiUrl ?? hosts.apiUrl, '--api-url').replace(/\/$/, '');
  const tokenUrl = checkUrl(options.tokenUrl ?? hosts.tokenUrl, '--token-url');
  const scopes = [...new Set([...DEFAULT_SCOPES, ...options.scopes.flatMap((s) => s.split(/\s+/)).filter(Boolean)])];
  const profile = ctx.globals.profile;
  await refuseRepoint(ctx, profile, { tenant, apiUrl, environment: options.environment });
  const keysFile = await keysFileSetting(options, ctx);
  const saved = (await ctx.store.read()).profiles[profile];
  const caFile = caFileSetting(options.caFile, saved?.caFile);
  // A method saved by a newer version is not kept: this login proves the one it uses.
  const tokenAuth: TokenAuth = options.tokenAuth ?? (saved?.tokenAuth === 'basic' ? 'basic' : 'post');

  const clientSecret = await resolveSecret(options, ctx);
  ctx.scrubber.add(clientSecret);
  const http = ctx.httpFor(caFile, options.caFile ? '--ca-file' : "the profile's CA file");
  const settings = options.userAgent ? { ...http, userAgent: options.userAgent } : http;
  const token = await fetchToken({ tokenUrl, clientId, clientSecret, scopes, tokenAuth }, settings, ctx.now());
  ctx.scrubber.add(token.accessToken);
  const missing = scopesMissing(scopes, token.scopes);
  if (missing.length > 0) {
    throw authError('scope-missing', `The API client was not granted: ${missing.join(', ')}.`, {
      hint: 'Ask the tenant administrator to grant these scopes to the API client. Nothing was stored.',
    });
  }
  await ctx.store.update((data) => {
    data.profiles[profile] = {
      tenant,
      environment: options.environment,
      apiUrl,
      tokenUrl,
      clientId,
      userAgent: options.userAgent ?? null,
      scopes,
      createdAt: data.profiles[profile]?.createdAt ?? ctx.now().toISOString(),
      clientSecret,
      token,
      ...keysFile,
      ...(caFile ? { caFile } : {}),
      tokenAuth,
    };
  });
  await syncKeysFile(ctx);
  ctx.log.success(`Logged in to tenant ${tenant} (${options.environment}) as ${clientId}; profile "${profile}".`);
  return {
    profile,
    tenant,
    environment: options.environment,
    apiUrl,
    tokenUrl,
    clientId,
    scopes: token.scopes,
    tokenExpiresAt: token.expiresAt,
    keysFile: keysFile.keysFile ?? null,
    caFile: caFile ?? null,
    tokenAuth,
  };
}

/** The CA file to save: the one given (checked now, so a wrong path is not saved), none, or the one saved before. */
function caFileSetting(option: string | false | undefined, saved: string | null | undefined): string | undefined {
  if (option === false) return undefined;
  if (option === undefined) return saved ?? undefined;
  const path = resolve(option);
  readCaFile(path, '--ca-file');
  return path;
}

/** The keys file to save on the profile: the one given (its folder must exist), none, or the one saved before. */
async function keysFileSetting(options: LoginOptions, ctx: Context): Promise<{ keysFile?: string; keysFileMode?: number }> {
  const saved = (await ctx.store.read()).profiles[ctx.globals.profile];
  if (options.keysFile === false) {
    if (options.keysFileMode !== undefined) throw usageError('usage', '--keys-file-mode goes with a keys file, not --no-keys-file.');
    return {};
  }
  const path = options.keysFile === undefined ? (saved?.keysFile ?? undefined) : resolve(options.keysFile);
  if (!path) {
    if (options.keysFileMode !== undefined) throw usageError('usage', '--keys-file-mode needs --keys-file <path>.');
    return {};
  }
  let folder: boolean;
  try {
    folder = statSync(dirname(path)).isDirectory();
  } catch {
    folder = false;
  }
  if (!folder) {
    throw usageError('keys-file-folder', `The folder of the keys file ${path} does not exist.`, `Create ${dirname(path)} first.`);
  }
  const mode = options.keysFileMode ?? (options.keysFile === undefined ? saved?.keysFileMode : undefined);
  return mode === undefined ? { keysFile: path } : { keysFile: path, keysFileMode: mode };
}

export function render(result: LoginResult, _view: View): string {
  return fields([
    ['profile', result.profile],
    ['tenant', result.tenant],
    ['environment', result.environment],
    ['api url', result.apiUrl],
    ['token url', result.tokenUrl],
    ['client id', result.clientId],
    ['scopes', result.scopes.join(' ')],
    ['token expires', result.tokenExpiresAt],
    ...(result.keysFile ? [['keys file', result.keysFile] as [string, string]] : []),
    ...(result.caFile ? [['ca file', result.caFile] as [string, string]] : []),
    ['token auth', result.tokenAuth],
  ]);
}

function checkTenant(value: string | undefined): string {
  const tenant = value?.trim().toLowerCase();
  if (!tenant)
    throw usageError(
      'missing-tenant',
      'The tenant is required.',
      'Pass --tenant <name> (acme for acme.myprotime.eu) or set PROTIME_TENANT.',
    );
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(tenant)) {
    throw usageError(
      'bad-tenant',
      `"${value}" is not a tenant name: use the subdomain of your myProtime URL (acme for acme.myprotime.eu).`,
    );
  }
  return tenant;
}

/** Keys of one tenant must never end up under credentials of another. */
async function refuseRepoint(
  ctx: Context,
  profile: string,
  target: { tenant: string; apiUrl: string; environment: Environment },
): Promise<void> {
  const data = await ctx.store.read();
  const existing = data.profiles[profile];
  const live = liveRecords(data.subscriptions[profile]).length;
  if (!existing || live === 0) return;
  const changed = (['tenant', 'apiUrl', 'environment'] as const).filter((field) => existing[field] !== target[field]);
  if (changed.length === 0) return;
  const from = changed.map((field) => `${field} ${existing[field]}`).join(', ');
  const to = changed.map((field) => `${field} ${target[field]}`).join(', ');
  throw usageError(
    'profile-in-use',
    `Profile "${profile}" holds ${live} subscription(s) on ${from}; it cannot be pointed at ${to}.`,
    `Use another profile (protime-hooks login --profile ${target.tenant} ...), or first \`protime-hooks logout --purge${profile === 'default' ? '' : ` --profile ${profile}`}\` (its keys are lost).`,
  );
}

/**
 * How `--client-secret-stdin` reads: `read` from a pipe or file; at a terminal, the masked prompt,
 * since reading a terminal's stdin would echo the secret as it is typed. The prompt rather than a
 * refusal: whoever typed the flag at a terminal means to type the secret there, and the prompt
 * (no echo, Ctrl-C exits 130) does exactly that without making them run the command again. With
 * no terminal to prompt on (stderr redirected) or under --no-input it is a usage error instead.
 */
export function stdinSecret(ctx: Pick<Context, 'io' | 'globals'>): 'read' | 'prompt' {
  if (!ctx.io.stdinIsTTY) return 'read';
  if (ctx.globals.input && ctx.io.stderrIsTTY) return 'prompt';
  throw usageError(
    'stdin-is-terminal',
    `--client-secret-stdin reads a piped secret, but stdin is a terminal${ctx.globals.input ? '' : ' and --no-input forbids asking'}: typed there, the secret would be echoed.`,
    'Pipe it in (`... --client-secret-stdin < secret.txt`) or use --client-secret-file <path>; at a terminal, login asks with a masked prompt.',
  );
}

async function resolveSecret(options: LoginOptions, ctx: Context): Promise<string> {
  if (options.clientSecretStdin && options.clientSecretFile) {
    throw usageError('secret-twice', 'Give the client secret one way: --client-secret-stdin or --client-secret-file, not both.');
  }
  let secret: string;
  if (options.clientSecretStdin && stdinSecret(ctx) === 'prompt') {
    secret = await promptSecret(ctx, 'Client secret', SECRET_FLAGS);
  } else if (options.clientSecretStdin) {
    secret = oneLine(await readStdin(ctx.io.stdin));
  } else if (options.clientSecretFile) {
    secret = readSecretFile(options.clientSecretFile, 'client secret file', (m) => ctx.log.warn(m));
  } else if (options.clientSecretEnv !== undefined && options.clientSecretEnv !== '') {
    secret = options.clientSecretEnv;
  } else {
    secret = await promptSecret(ctx, 'Client secret', SECRET_FLAGS);
  }
  if (secret.trim() === '') throw usageError('empty-secret', 'The client secret is empty.', `Pass it with ${SECRET_FLAGS}.`);
  return secret;
}
