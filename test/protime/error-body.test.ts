import { describe, expect, it } from 'vitest';
import { parseErrorBody } from '../../src/protime/error-body.js';
import { API_BASE, api, cliError, clientWithToken, settings } from './factories.js';

const WEBHOOKS = `${API_BASE}/webhooks`;

describe('parseErrorBody', () => {
  it('reads the Protime error wrapper', () => {
    expect(
      parseErrorBody({
        error: { code: 'BadRequest', message: 'Unknown collection', reasons: ['collectionName: foo is not a collection'] },
      }),
    ).toEqual({
      code: 'BadRequest',
      message: 'Unknown collection',
      reasons: ['collectionName: foo is not a collection'],
    });
  });

  it('reads validationErrors given as strings', () => {
    expect(parseErrorBody({ validationErrors: ['destinationUrl is required', 'collectionName is required'] })).toEqual({
      message: 'The request did not pass validation.',
      reasons: ['destinationUrl is required', 'collectionName is required'],
    });
  });

  it('reads validationErrors given as objects, whatever their field names', () => {
    const body = {
      validationErrors: [
        { field: 'destinationUrl', message: 'must use https' },
        { propertyName: 'CollectionName', errorMessage: "'CollectionName' must not be empty." },
        { message: 'one more thing' },
        { unexpected: 1 },
      ],
    };
    expect(parseErrorBody(body).reasons).toEqual([
      'destinationUrl: must use https',
      "CollectionName: 'CollectionName' must not be empty.",
      'one more thing',
      '{"unexpected":1}',
    ]);
  });

  it('reads an OAuth error', () => {
    expect(parseErrorBody({ error: 'invalid_client', error_description: 'Client authentication failed.' })).toEqual({
      code: 'invalid_client',
      message: 'Client authentication failed.',
      reasons: [],
    });
  });

  it('reads ASP.NET problem details, detail before title, errors as field: message', () => {
    const body = {
      type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: { DestinationUrl: ['The DestinationUrl field is required.', 'Must be absolute.'], CollectionName: 'Unknown.' },
    };
    expect(parseErrorBody(body)).toEqual({
      message: 'One or more validation errors occurred.',
      reasons: ['DestinationUrl: The DestinationUrl field is required.', 'DestinationUrl: Must be absolute.', 'CollectionName: Unknown.'],
    });
    expect(parseErrorBody({ title: 'Bad Request', detail: 'The filter is invalid.' }).message).toBe('The filter is invalid.');
  });

  it('reads errors given as an array of messages or objects', () => {
    expect(
      parseErrorBody({ title: 'Invalid', errors: ['first problem', { field: 'collectionName', message: 'unknown' }] }).reasons,
    ).toEqual(['first problem', 'collectionName: unknown']);
  });

  it('reads a bare message and code', () => {
    expect(parseErrorBody({ code: 'Throttled', message: 'Slow down' })).toEqual({ code: 'Throttled', message: 'Slow down', reasons: [] });
  });

  it('takes the <title> of an HTML page', () => {
    const page = '<!DOCTYPE html><html><head><title> 502 Bad Gateway </title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>';
    expect(parseErrorBody(page)).toEqual({ message: '502 Bad Gateway', reasons: [] });
  });

  it('takes the text of a page without a title, shortened to 200 characters', () => {
    expect(parseErrorBody('<p>Service   temporarily\nunavailable</p>').message).toBe('Service temporarily unavailable');
    expect(parseErrorBody('x'.repeat(300)).message).toBe(`${'x'.repeat(200)}…`);
  });

  it.each([
    ['an empty string', ''],
    ['undefined', undefined],
    ['null', null],
    ['an array', [1, 2]],
    ['a number', 42],
    ['an empty object', {}],
  ])('gives no message and no reasons for %s', (_label, data) => {
    const parsed = parseErrorBody(data);
    expect(parsed.message).toBeUndefined();
    expect(parsed.code).toBeUndefined();
    expect(parsed.reasons).toEqual([]);
  });

  it('ignores blank and non-string fields instead of crashing', () => {
    expect(parseErrorBody({ error: { code: 42, message: '  ', reasons: 'only one' } })).toEqual({ reasons: ['only one'] });
  });
});

describe('error bodies through the client become typed errors', () => {
  const list = () =>
    clientWithToken(settings()).request({ method: 'GET', path: '/webhooks', retry: 'idempotent', purpose: 'listing webhooks' });

  it('a validationErrors 400', async () => {
    api()
      .get(WEBHOOKS)
      .reply(400, { validationErrors: ['filter: unknown field foo'] });
    const error = await cliError(list());
    expect({ kind: error.kind, status: error.status, code: error.code, message: error.message, reasons: error.reasons }).toEqual({
      kind: 'failure',
      status: 400,
      code: 'bad-request',
      message: 'Protime answered 400 while listing webhooks: The request did not pass validation.',
      reasons: ['filter: unknown field foo'],
    });
  });

  it('an application/problem+json 400', async () => {
    api()
      .get(WEBHOOKS)
      .reply(
        400,
        JSON.stringify({ title: 'One or more validation errors occurred.', status: 400, errors: { filter: ['Syntax error at 7.'] } }),
        {
          'content-type': 'application/problem+json; charset=utf-8',
        },
      );
    const error = await cliError(list());
    expect(error.message).toBe('Protime answered 400 while listing webhooks: One or more validation errors occurred.');
    expect(error.reasons).toEqual(['filter: Syntax error at 7.']);
  });

  it('an HTML 502 page from a proxy, after the retries', async () => {
    api()
      .get(WEBHOOKS)
      .times(4)
      .reply(502, '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', { 'content-type': 'text/html' });
    const error = await cliError(list());
    expect(error.kind).toBe('temporary');
    expect(error.status).toBe(502);
    expect(error.message).toBe('Protime answered 502 while listing webhooks: 502 Bad Gateway');
  });

  it('an empty 404', async () => {
    api().get(WEBHOOKS).reply(404);
    const error = await cliError(list());
    expect(error.code).toBe('not-found');
    expect(error.message).toBe('Protime answered 404 while listing webhooks');
    expect(error.reasons).toEqual([]);
  });

  it('a 409 with the Protime wrapper', async () => {
    api()
      .get(WEBHOOKS)
      .reply(409, { error: { code: 'Conflict', message: 'Busy', reasons: ['try later'] } });
    const error = await cliError(list());
    expect(error.message).toBe('Protime answered 409 Conflict while listing webhooks: Busy');
    expect(error.reasons).toEqual(['try later']);
  });
});
