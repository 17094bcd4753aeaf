// Why a session with the coordinator failed, in words a person can act on, and whether waiting can help.
// A refusal (wrong token, a site held by another worker) or a misconfiguration (TLS on one side only, a
// certificate the other side rejects) does not heal by itself: the worker says what to change and ends.
// An unreachable coordinator (refused connection, a host name that does not resolve, a restart, a
// network down) can come back: the worker keeps retrying.
import * as grpc from '@grpc/grpc-js';
import { AccordError, AuthError } from '../shared/errors/index.js';

export interface Failure {
  /** `config`: a person must change a flag or a file; `transient`: it may heal; `unclear`: not known yet. */
  kind: 'config' | 'transient' | 'unclear';
  /** The cause in words, e.g. "connection refused (nothing listens there)". */
  cause: string;
  /** For `config`: what to change. */
  fix?: string;
}

const TLS_FIX = 'check --tls-ca, --tls-cert and --tls-key against the coordinator';

/** Signatures of causes in grpc-js and Node error texts (lower case), most specific first. */
const PATTERNS: readonly { test: RegExp; failure: Failure }[] = [
  {
    test: /wrong version number|packet length too long|unknown protocol|http request/,
    failure: {
      kind: 'config',
      cause: 'the coordinator does not speak TLS, but this worker dials with TLS (--tls-ca)',
      fix: 'drop the --tls-* flags, or start the coordinator with --tls-cert and --tls-key',
    },
  },
  {
    test: /certificate required/,
    failure: {
      kind: 'config',
      cause: 'the coordinator asks for a client certificate (mutual TLS) and this worker has none',
      fix: "give --tls-cert and --tls-key: this site's certificate, signed by the federation's CA",
    },
  },
  {
    test: /alert (unknown ca|bad certificate|certificate unknown|certificate revoked|certificate expired|access denied|decrypt error)/,
    failure: {
      kind: 'config',
      cause: "the coordinator rejected this site's certificate (--tls-cert)",
      fix: "use a certificate signed by the federation's CA (accord certs sign), with its key in --tls-key",
    },
  },
  {
    test: /altname|does not match certificate|err_tls_cert_altname_invalid/,
    failure: {
      kind: 'config',
      cause: "the coordinator's certificate is not for the host name dialed",
      fix: 'dial the name in its certificate, or give --tls-server-name with that name',
    },
  },
  {
    test: /unable to verify|self[- ]signed|unable to get (local )?issuer|certificate has expired|cert_has_expired|certificate is not yet valid/,
    failure: {
      kind: 'config',
      cause: "the coordinator's certificate is not signed by the CA in --tls-ca (or is out of date)",
      fix: "give --tls-ca the CA that signed the coordinator's certificate",
    },
  },
  {
    test: /name resolution failed|enotfound|eai_again|getaddrinfo/,
    failure: { kind: 'transient', cause: 'the host name does not resolve (DNS)' },
  },
  {
    test: /econnrefused/,
    failure: { kind: 'transient', cause: 'connection refused (nothing listens there)' },
  },
  {
    test: /etimedout|ehostunreach|enetunreach|enetdown|timed out|deadline exceeded/,
    failure: { kind: 'transient', cause: 'the network does not reach it (timed out or unreachable)' },
  },
  {
    test: /shutting down|econnreset|connection dropped|socket hang up|goaway|stream ended|epipe/,
    failure: { kind: 'transient', cause: 'the connection was dropped (the coordinator may be restarting)' },
  },
];

/** The useful part of a grpc-js status text: "No connection established. Last error: X. Resolution note: ". */
export function lastError(details: string): string {
  const m =
    /Last error: (?:Error(?: \[[A-Z_]+\])?: )?([\s\S]*?)(?: \(\d{4}-\d\d-\d\dT[^)]*\))?\.? Resolution note/.exec(
      details,
    );
  const text = (m?.[1] ?? details).trim();
  // OpenSSL texts carry a code, a function and a source line: keep the reason.
  const ssl = /SSL routines:[^:]*:([^:]+)/.exec(text);
  return ssl?.[1] ?? text;
}

/** The cause of a failed attempt from its status text; `unclear` when the text names none. */
export function classify(details: string): Failure {
  const text = details.toLowerCase();
  for (const p of PATTERNS) if (p.test.test(text)) return p.failure;
  return { kind: 'unclear', cause: `the connection failed (${lastError(details) || 'no reason given'})` };
}

/** A refusal by the coordinator itself: the worker ends at once (retrying would be refused the same way). */
export function refusalOf(e: { code: number; details: string }, site: string): AccordError | undefined {
  const why = e.details.replace(/^[A-Z_]+: /, '');
  switch (e.code) {
    case grpc.status.UNAUTHENTICATED:
      return new AuthError(`coordinator refused site "${site}": ${e.details}`);
    case grpc.status.ALREADY_EXISTS:
      return new AuthError(`the coordinator refused this worker: ${why}`, 'SITE_IN_USE');
    case grpc.status.INVALID_ARGUMENT:
      return new AccordError('REFUSED', `coordinator refused the session: ${e.details}`);
    default:
      return undefined;
  }
}

/** The line a misconfiguration ends the worker with. */
export function configMessage(address: string, f: Failure): string {
  return `cannot connect to the coordinator at ${address}: ${f.cause}; ${f.fix ?? TLS_FIX}`;
}
