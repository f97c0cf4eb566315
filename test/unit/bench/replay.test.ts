import { describe, expect, it } from 'vitest';
import { type ProxyRequest, replaySteps, rewriteIds } from '../../../bench/replay.cjs';

const EXEC_ID = 'a'.repeat(64);
const NEW_ID = 'b'.repeat(64);

/** What the engine proxy records for `devenv exec -- true`. */
const execRequests: ProxyRequest[] = [
  {
    method: 'POST',
    path: '/containers/devenv-x-me/exec',
    url: '/containers/devenv-x-me/exec',
    status: 201,
    bodyBytes: 16,
    json: '{"Cmd":["true"]}',
    answerId: EXEC_ID,
  },
  {
    method: 'POST',
    path: `/exec/${EXEC_ID}/start`,
    url: `/exec/${EXEC_ID}/start`,
    status: 'upgrade',
    bodyBytes: 0,
    json: '{"Detach":false,"Tty":false}',
  },
  { method: 'GET', path: `/exec/${EXEC_ID}/json`, url: `/exec/${EXEC_ID}/json`, status: 200, bodyBytes: 0 },
];

describe('replaySteps', () => {
  it('keeps each request in order, with its URL as sent, its JSON body, status and answer id', () => {
    expect(replaySteps(execRequests)).toEqual([
      {
        method: 'POST',
        url: '/containers/devenv-x-me/exec',
        status: 201,
        body: '{"Cmd":["true"]}',
        answerId: EXEC_ID,
      },
      {
        method: 'POST',
        url: `/exec/${EXEC_ID}/start`,
        status: 'upgrade',
        body: '{"Detach":false,"Tty":false}',
      },
      { method: 'GET', url: `/exec/${EXEC_ID}/json`, status: 200 },
    ]);
  });

  it('keeps the query string and API version prefix the client sent', () => {
    const url = '/v1.41/containers/json?all=1&filters=%7B%7D';
    const [step] = replaySteps([{ method: 'GET', path: '/containers/json', url, status: 200, bodyBytes: 0 }]);
    expect(step?.url).toBe(url);
  });

  it('refuses a request whose body was not kept (a build context), rather than replay less', () => {
    expect(() =>
      replaySteps([{ method: 'POST', path: '/build', url: '/build?t=x', status: 200, bodyBytes: 17_920 }]),
    ).toThrow('cannot replay POST /build: its 17920-byte body is not a small JSON one');
  });

  it('refuses a request that got no answer', () => {
    expect(() =>
      replaySteps([
        { method: 'GET', path: '/_ping', url: '/_ping', status: 'proxy error: ECONNREFUSED', bodyBytes: 0 },
      ]),
    ).toThrow('cannot replay GET /_ping: it got no answer (proxy error: ECONNREFUSED)');
  });
});

describe('rewriteIds', () => {
  it("points a later URL at the replay's own object", () => {
    expect(rewriteIds(`/exec/${EXEC_ID}/start`, new Map([[EXEC_ID, NEW_ID]]))).toBe(`/exec/${NEW_ID}/start`);
  });

  it('rewrites every occurrence, in bodies too, and each recorded id', () => {
    const other = 'c'.repeat(64);
    const ids = new Map([
      [EXEC_ID, NEW_ID],
      [other, 'd'.repeat(64)],
    ]);
    expect(rewriteIds(`{"a":"${EXEC_ID}","b":"${other}","c":"${EXEC_ID}"}`, ids)).toBe(
      `{"a":"${NEW_ID}","b":"${'d'.repeat(64)}","c":"${NEW_ID}"}`,
    );
  });

  it('leaves text that names no recorded id as it is', () => {
    expect(rewriteIds('/containers/devenv-x-me/json', new Map([[EXEC_ID, NEW_ID]]))).toBe(
      '/containers/devenv-x-me/json',
    );
  });

  it('keeps an id the replay got back unchanged (an inspect of the same container)', () => {
    expect(rewriteIds(`/containers/${EXEC_ID}/json`, new Map([[EXEC_ID, EXEC_ID]]))).toBe(
      `/containers/${EXEC_ID}/json`,
    );
  });
});
