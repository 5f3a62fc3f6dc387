import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { fetchToken } from '../../src/protime/auth.js';
import { send } from '../../src/protime/http.js';
import {
  API_BASE,
  API_ORIGIN,
  API_ROOT,
  AUTH_ORIGIN,
  api,
  cliError,
  SCOPES,
  SECRET,
  settings,
  TOKEN_PATH,
  TOKEN_URL,
} from './factories.js';

const ELSEWHERE = 'https://collector.example';

describe('redirects: secrets go only where they belong', () => {
  it('follows a GET redirect within the API origin', async () => {
    api()
      .get(`${API_BASE}/webhooks`)
      .reply(302, undefined, { location: `${API_BASE}/webhooks?page=1` });
    api().get(`${API_BASE}/webhooks`).query({ page: '1' }).reply(200, { value: [] });
    const response = await send({ method: 'GET', url: `${API_ROOT}/webhooks`, bearer: 'tok', retry: 'idempotent' }, settings());
    expect(response.status).toBe(200);
    expect(response.data).toEqual({ value: [] });
  });

  it('refuses a GET redirect to another origin: the token is never sent there', async () => {
    api()
      .get(`${API_BASE}/webhooks`)
      .reply(307, undefined, { location: `${ELSEWHERE}/steal` });
    // Nothing is mocked on the other origin: a request there would fail differently (no match).
    const error = await cliError(send({ method: 'GET', url: `${API_ROOT}/webhooks`, bearer: 'tok', retry: 'idempotent' }, settings()));
    expect(error).toMatchObject({ code: 'redirect-refused', exitCode: 1, status: 307 });
    expect(error.message).toContain(`redirecting to ${ELSEWHERE}/steal; not followed: the access token stays with ${API_ORIGIN}`);
  });

  it('refuses any redirect of a POST or DELETE, same origin included', async () => {
    api()
      .post(`${API_BASE}/webhooks`)
      .reply(308, undefined, { location: `${API_BASE}/webhooks2` });
    const create = await cliError(
      send({ method: 'POST', url: `${API_ROOT}/webhooks`, json: { a: 1 }, bearer: 'tok', retry: 'create' }, settings()),
    );
    expect(create).toMatchObject({ code: 'redirect-refused', status: 308 });
    expect(create.message).toContain('a create or delete is never sent anywhere else');
    api()
      .delete(`${API_BASE}/webhooks/w1`)
      .reply(301, undefined, { location: `${API_ORIGIN}/elsewhere` });
    expect(
      (await cliError(send({ method: 'DELETE', url: `${API_ROOT}/webhooks/w1`, bearer: 'tok', retry: 'idempotent' }, settings()))).code,
    ).toBe('redirect-refused');
  });

  it('never re-posts the client secret: a 307 from the token endpoint is refused, and no token is taken from elsewhere', async () => {
    nock(AUTH_ORIGIN)
      .post(TOKEN_PATH)
      .reply(307, undefined, { location: `${ELSEWHERE}/token` });
    const error = await cliError(
      fetchToken({ tokenUrl: TOKEN_URL, clientId: 'c', clientSecret: SECRET.client, scopes: SCOPES }, settings(), new Date()),
    );
    expect(error.code).toBe('redirect-refused');
    expect(error.message).toContain('credentials are sent only to the token endpoint itself');
    expect(error.message).not.toContain(SECRET.client);
  });

  it('stops a redirect loop within the origin', async () => {
    api()
      .get(`${API_BASE}/loop`)
      .times(6)
      .reply(302, undefined, { location: `${API_BASE}/loop` });
    const error = await cliError(send({ method: 'GET', url: `${API_ROOT}/loop`, retry: 'idempotent' }, settings()));
    expect(error.message).toContain('more than 5 redirects');
  });
});
