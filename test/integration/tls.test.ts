// gRPC over TLS, and mutual TLS: certificates made with openssl for this test only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Coordinator } from '../../coordinator/server.js';
import { TokenBook } from '../../coordinator/sessions/auth.js';
import { WorkerRegistry } from '../../coordinator/sessions/registry.js';
import { createLogger } from '../../shared/log/logger.js';
import { redisOptions } from '../../shared/redis-url.js';
import { HEART_DISEASE } from '../../simulation/datasets.js';
import { type PrivateRedis, startPrivateRedis } from '../../simulation/redis-server.js';
import { AccordWorker } from '../../worker/client.js';
import { makeCerts } from '../helpers/test-certs.js';
import { LogCapture, waitUntil } from '../helpers/wait-log.js';

/** Generous: the refusal itself takes milliseconds, but CI machines are small and busy. */
const REFUSAL_TIMEOUT_MS = 60_000;

describe('TLS between workers and the coordinator', () => {
  let redis: PrivateRedis | undefined;
  let client: Redis | undefined;
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    client?.disconnect();
    await redis?.stop();
  });

  it('a worker with the CA connects over TLS; with mTLS a worker without a certificate is refused', async () => {
    const certs = makeCerts(fs.mkdtempSync(path.join(os.tmpdir(), 'accord-tls-')));
    redis = await startPrivateRedis();
    client = new Redis(redisOptions(redis.url));
    const registry = new WorkerRegistry(client, 1000);
    const start = async (clientCa?: Buffer) => {
      const c = new Coordinator({
        redisUrl: redis!.url,
        grpcAddress: '127.0.0.1:0',
        storeDir: fs.mkdtempSync(path.join(os.tmpdir(), 'accord-tls-store-')),
        tokens: TokenBook.fromMap({ cleveland: 'token-cleveland-123' }),
        instance: `tls${clientCa ? 'm' : ''}`,
        log: createLogger('coordinator', 'silent'),
        tls: { cert: certs.serverCert, key: certs.serverKey, ...(clientCa ? { clientCa } : {}) },
      });
      await c.start();
      stops.push(() => c.stop());
      return c;
    };
    const worker = (
      port: number,
      tls?: { ca: Buffer; cert?: Buffer; key?: Buffer },
      log = createLogger('w', 'silent'),
    ) => {
      const w = new AccordWorker({
        coordinator: `localhost:${port}`,
        site: 'cleveland',
        token: 'token-cleveland-123',
        dataFile: HEART_DISEASE.sites.cleveland,
        log,
        ...(tls ? { tls } : {}),
      });
      void w.run().catch(() => undefined);
      stops.push(() => w.stop());
      return w;
    };
    const tlsOnly = await start();
    const overTls = worker(tlsOnly.port, { ca: certs.ca });
    await overTls.ready;
    expect((await registry.get('cleveland'))?.instance).toBe('tls');

    const mtls = await start(certs.ca);
    // Each refused worker logs 'disconnected from coordinator' (with why) when its first attempt fails
    // the handshake: wait for that record rather than for time to pass, so a slow connection that would
    // have got through cannot pass for a refusal. grpc-js says "No connection established" for a call on
    // a channel that never got the server's HTTP/2 settings; the worker without a certificate also gets
    // the server's TLS alert (certificate required).
    const refused = [
      {
        who: 'a worker with the CA but no client certificate',
        tls: { ca: certs.ca },
        why: /No connection established[\s\S]*(certificate|handshake)/i,
      },
      { who: 'a worker without TLS', tls: undefined, why: /No connection established/ },
    ].map(({ who, tls, why }) => {
      const capture = new LogCapture(who, 'warn');
      return { who, why, capture, w: worker(mtls.port, tls, capture.log) };
    });
    const firstFailures = await Promise.all(
      refused.map(({ who, capture, w }) =>
        Promise.race([
          // 'fatal' too, so that a refusal of another kind fails here at once instead of timing out.
          capture.waitFor(
            (r) => r.msg === 'disconnected from coordinator' || r.msg === 'fatal',
            REFUSAL_TIMEOUT_MS,
            `${who} to be refused`,
          ),
          w.ready.then(() => {
            throw new Error(`${who} was let in by the mTLS coordinator`);
          }),
        ]),
      ),
    );
    for (const [i, record] of firstFailures.entries()) {
      const { who, why } = refused[i]!;
      expect(record.msg, who).toBe('disconnected from coordinator');
      expect(record['why'], who).toMatch(why);
    }
    expect((await registry.get('cleveland'))?.instance).toBe('tls'); // neither reached the mTLS coordinator
    for (const { w } of refused) w.stop();
    // One worker per site: the site's session on the TLS coordinator ends before another worker takes it.
    overTls.stop();
    await waitUntil(
      async () => (await registry.get('cleveland')) === undefined,
      REFUSAL_TIMEOUT_MS,
      'the session to end',
    );
    await worker(mtls.port, { ca: certs.ca, cert: certs.siteCert, key: certs.siteKey }).ready;
    expect((await registry.get('cleveland'))?.instance).toBe('tlsm');
  });
});
