import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/shared/errors.js';
import { bypassesProxy, describeProxy, proxyFor } from '../../src/shared/proxy.js';

const via = (url: string, env: Record<string, string>) => {
  const proxy = proxyFor(new URL(url), env);
  return proxy && describeProxy(proxy);
};

describe('proxyFor: curl’s choice of proxy', () => {
  it('uses the scheme’s own variable, lower case first, then ALL_PROXY; never HTTP_PROXY for https', () => {
    expect(via('https://a.example/x', { HTTPS_PROXY: 'http://up:1', https_proxy: 'http://low:2' })).toBe('http://low:2');
    expect(via('https://a.example/x', { HTTPS_PROXY: 'http://up:1' })).toBe('http://up:1');
    expect(via('http://a.example/x', { HTTP_PROXY: 'http://up:1', http_proxy: 'http://low:2' })).toBe('http://low:2');
    expect(via('https://a.example/x', { HTTP_PROXY: 'http://p:1' })).toBeUndefined();
    expect(via('https://a.example/x', { ALL_PROXY: 'http://all:3' })).toBe('http://all:3');
    expect(via('https://a.example/x', { https_proxy: '', HTTPS_PROXY: 'http://up:1' })).toBe('http://up:1');
    expect(via('https://a.example/x', {})).toBeUndefined();
  });

  it('takes a proxy without a scheme as http://, and prints it without its credentials', () => {
    expect(via('https://a.example/', { HTTPS_PROXY: 'proxy.corp:3128' })).toBe('http://proxy.corp:3128');
    expect(via('https://a.example/', { HTTPS_PROXY: 'http://user:p%40ss@proxy.corp:3128' })).toBe('http://proxy.corp:3128');
  });

  it('refuses an unreadable or non-http proxy with a usage error that does not show the value', () => {
    for (const value of ['http://us er:secret-pw@[bad', 'socks5://u:secret-pw@h:1']) {
      let error: unknown;
      try {
        proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: value });
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).code).toBe('bad-proxy');
      expect((error as CliError).message).not.toContain('secret-pw');
    }
  });
});

describe('bypassesProxy: curl’s NO_PROXY', () => {
  it.each([
    ['https://api.example.com/', '*', true],
    ['https://api.example.com/', 'example.com', true],
    ['https://api.example.com/', '.example.com', true],
    ['https://api.example.com/', '*.example.com', true],
    ['https://example.com/', '.example.com', true],
    ['https://badexample.com/', 'example.com', false],
    ['https://API.Example.COM./', 'example.com', true],
    ['https://a.example/', 'b.example, a.example', true],
    ['https://a.example/', 'b.example a.example', true],
    ['https://a.example:8443/', 'a.example:8443', true],
    ['https://a.example/', 'a.example:8443', false],
    ['https://a.example/', 'a.example:443', true],
    ['http://127.0.0.1:4010/', '127.0.0.1', true],
    ['http://127.0.0.2/', '127.0.0.1', false],
    ['http://10.1.2.3/', '10.0.0.0/8', true],
    ['http://11.1.2.3/', '10.0.0.0/8', false],
    ['http://[::1]:4010/', '::1', true],
    ['http://[::1]:4010/', '[::1]:4010', true],
    ['http://[::1]:4010/', '[::1]:80', false],
    ['http://[fd00::5]/', 'fd00::/8', true],
    ['http://localhost/', '', false],
    ['http://127.0.0.1/', 'localhost', false],
  ])('%s with NO_PROXY=%j → %s', (url, noProxy, bypass) => {
    expect(bypassesProxy(new URL(url), noProxy)).toBe(bypass);
  });

  it('no_proxy wins over NO_PROXY, as in curl', () => {
    expect(via('https://a.example/', { HTTPS_PROXY: 'http://p:1', no_proxy: 'a.example', NO_PROXY: 'b.example' })).toBeUndefined();
    expect(via('https://a.example/', { HTTPS_PROXY: 'http://p:1', no_proxy: 'b.example', NO_PROXY: 'a.example' })).toBe('http://p:1');
  });
});
