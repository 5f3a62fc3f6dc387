import nock from 'nock';
import { afterEach, beforeAll, expect } from 'vitest';

// Another file's nock.restore() in a shared worker would silently turn interception off: re-arm it.
beforeAll(() => {
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  // Tests that run real local servers (the emulator, spawned binaries) talk to loopback only.
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
});

afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  // A mock nobody called means the code did not make a request the test expected.
  expect(pending, 'unused HTTP mocks').toEqual([]);
});
