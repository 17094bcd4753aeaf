// The worker's TLS files (--tls-ca, --tls-cert, --tls-key), read and checked before the first dial: a
// missing or unreadable file, one that holds no certificate or key, a key that is not the certificate's,
// or a certificate out of date is one ConfigError naming the flag and the file, instead of a connection
// that fails on every attempt.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ConfigError } from '../shared/errors/index.js';
import type { WorkerOptions } from './options.js';

type Tls = NonNullable<WorkerOptions['tls']>;

/** The flags as given on the command line. */
export interface TlsFlags {
  tlsCa?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  tlsServerName?: string | undefined;
}

/** A file a flag names, or a ConfigError saying which flag, which file and what is wrong with it. */
export function readFlagFile(file: string, flag: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder, not a file'
            : `cannot be read (${(e as Error).message})`;
    throw new ConfigError(`${flag}: ${file} ${why}`);
  }
}

/** The worker's TLS settings from its flags (undefined without --tls-ca), every file checked. */
export function readTlsFlags(f: TlsFlags): Tls | undefined {
  if ((f.tlsCert || f.tlsKey || f.tlsServerName) && !f.tlsCa)
    throw new ConfigError('--tls-cert, --tls-key and --tls-server-name need --tls-ca');
  if (Boolean(f.tlsCert) !== Boolean(f.tlsKey))
    throw new ConfigError("--tls-cert and --tls-key go together: this site's certificate and its private key");
  if (!f.tlsCa) return undefined;
  const t: Tls = {
    ca: readFlagFile(f.tlsCa, '--tls-ca'),
    ...(f.tlsCert ? { cert: readFlagFile(f.tlsCert, '--tls-cert') } : {}),
    ...(f.tlsKey ? { key: readFlagFile(f.tlsKey, '--tls-key') } : {}),
    ...(f.tlsServerName ? { serverName: f.tlsServerName } : {}),
  };
  checkTls(t, { ca: `--tls-ca ${f.tlsCa}`, cert: `--tls-cert ${f.tlsCert}`, key: `--tls-key ${f.tlsKey}` });
  return t;
}

function certificate(pem: Buffer, what: string): crypto.X509Certificate {
  let x509: crypto.X509Certificate;
  try {
    x509 = new crypto.X509Certificate(pem);
  } catch (e) {
    throw new ConfigError(`${what}: not a PEM certificate (${(e as Error).message})`);
  }
  if (Date.parse(x509.validTo) < Date.now())
    throw new ConfigError(`${what}: the certificate expired on ${x509.validTo}`);
  return x509;
}

/**
 * Checks that the TLS settings can be used: a CA certificate, and a client certificate with its own
 * private key. `what` names each one in errors (by default, the flags).
 */
export function checkTls(
  t: WorkerOptions['tls'],
  what: { ca: string; cert: string; key: string } = { ca: '--tls-ca', cert: '--tls-cert', key: '--tls-key' },
): void {
  if (!t) return;
  certificate(t.ca, what.ca);
  if (Boolean(t.cert) !== Boolean(t.key))
    throw new ConfigError("--tls-cert and --tls-key go together: this site's certificate and its private key");
  if (!t.cert || !t.key) return;
  const cert = certificate(t.cert, what.cert);
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(t.key);
  } catch (e) {
    throw new ConfigError(`${what.key}: not a PEM private key without a passphrase (${(e as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new ConfigError(`${what.key}: this key is not the one of ${what.cert}`);
}
