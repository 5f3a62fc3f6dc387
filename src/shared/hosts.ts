export type Environment = 'production' | 'sandbox';

export const ENVIRONMENTS: readonly Environment[] = ['production', 'sandbox'];

const DOMAIN: Record<Environment, string> = { production: 'myprotime.eu', sandbox: 'myprotimesandbox.eu' };

/** Protime's default endpoints for a tenant; the sandbox API root is inferred by analogy. */
export function defaultHosts(environment: Environment, tenant: string): { apiUrl: string; tokenUrl: string } {
  const domain = DOMAIN[environment];
  return {
    apiUrl: `https://${tenant}.${domain}/connector/protimeapi/api/v1`,
    tokenUrl: `https://authentication.${domain}/tenants/${tenant}/connect/token`,
  };
}
