// Why a worker's attempt failed (from grpc-js's own texts), and what the worker does about it: one line
// after a few failed attempts per outage, one when it is back, and an end after a few attempts in a row
// that failed for a cause waiting cannot heal.
import { describe, expect, it } from 'vitest';
import { classify, lastError } from '../../worker/connection-failure.js';
import { CONFIG_ATTEMPTS, NOTICE_AFTER, Reconnect } from '../../worker/reconnect.js';

/** Status texts as grpc-js 1.14 gives them (Node 20+, OpenSSL 3). */
const TEXTS = {
  failed: 'No connection established. Last error: Failed to connect (2026-12-06T13:05:22.879Z). Resolution note: ',
  plaintextServer:
    'No connection established. Last error: Error: 805CEAD4227F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n. Resolution note: ',
  unknownCa: 'No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ',
  certificateRequired:
    'No connection established. Last error: 805CEAD4227F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n (2026-12-06T13:05:22.971Z). Resolution note: ',
  refused: 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ',
  dns: 'Name resolution failed for target dns:no-such-host.invalid:7070',
};

describe('connection failures', () => {
  it('tell causes that cannot heal from those that can', () => {
    expect(classify(TEXTS.plaintextServer)).toMatchObject({ kind: 'config', cause: /does not speak TLS/ });
    expect(classify(TEXTS.unknownCa)).toMatchObject({ kind: 'config', fix: /--tls-ca/ });
    expect(classify(TEXTS.certificateRequired)).toMatchObject({ kind: 'config', fix: /--tls-cert and --tls-key/ });
    expect(classify(TEXTS.refused)).toEqual({ kind: 'transient', cause: 'connection refused (nothing listens there)' });
    expect(classify(TEXTS.dns)).toEqual({ kind: 'transient', cause: 'the host name does not resolve (DNS)' });
    expect(classify(TEXTS.failed)).toEqual({ kind: 'unclear', cause: 'the connection failed (Failed to connect)' });
    expect(lastError(TEXTS.certificateRequired)).toBe('tlsv13 alert certificate required');
  });

  it('say once per outage that the coordinator is out of reach, and once that it is back', () => {
    const said: string[] = [];
    const r = new Reconnect({ addresses: ['c:7070'], notify: (l) => said.push(l) });
    const refused = classify(TEXTS.refused);
    for (let i = 1; i < NOTICE_AFTER; i++) expect(r.failed('c:7070', refused, true)).not.toHaveProperty('notice');
    for (let i = 0; i < 10; i++) {
      const v = r.failed('c:7070', refused, true);
      expect('retryInMs' in v && v.retryInMs).toBeLessThanOrEqual(1200);
    }
    expect(said).toEqual([
      'cannot reach the coordinator at c:7070: connection refused (nothing listens there) (retrying every 1 s; check --coordinator)',
    ]);
    r.connected('c:7070');
    expect(said[1]).toBe(`connected to the coordinator at c:7070 (after ${NOTICE_AFTER + 9} failed attempts)`);
    // A short break after a session: no line. A long one: one line, then "reconnected".
    r.lost(true);
    r.failed('c:7070', refused, true);
    r.connected('c:7070');
    expect(said).toHaveLength(2);
    for (let i = 0; i < NOTICE_AFTER; i++) r.failed('c:7070', refused, true);
    r.connected('c:7070');
    expect(said.slice(2)).toEqual([expect.stringMatching(/^cannot reach/), 'reconnected to the coordinator at c:7070']);
  });

  it('end after a few attempts in a row that failed for a cause that cannot heal', () => {
    const r = new Reconnect({ addresses: ['c:7070'] });
    const tls = classify(TEXTS.plaintextServer);
    for (let i = 1; i < CONFIG_ATTEMPTS; i++) expect(r.failed('c:7070', tls, true)).toHaveProperty('retryInMs');
    // A failure that can heal in between starts the count again.
    r.failed('c:7070', classify(TEXTS.refused), true);
    for (let i = 1; i < CONFIG_ATTEMPTS; i++) expect(r.failed('c:7070', tls, true)).toHaveProperty('retryInMs');
    const end = r.failed('c:7070', tls, true);
    expect('fatal' in end && end.fatal.message).toMatch(
      /^cannot connect to the coordinator at c:7070: the coordinator does not speak TLS.*; drop the --tls-\* flags/,
    );
    expect('fatal' in end && end.fatal.code).toBe('CONFIG_INVALID');
  });
});
