// When grpc-js says only "Failed to connect", one TLS handshake of our own tells why: a plaintext worker
// learns whether the coordinator speaks TLS; a TLS worker whether the coordinator drops the connection
// right after the handshake (it rejected this site's certificate). One outbound connection, then closed.
import net from 'node:net';
import tls from 'node:tls';
import { classify, type Failure } from './connection-failure.js';
import type { WorkerOptions } from './options.js';

/** A probe that gets no answer within this long says nothing. */
const PROBE_MS = 3000;

/** HTTP/2's client preface and an empty SETTINGS frame: a gRPC server answers with its SETTINGS. */
const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

/** HOST and PORT of "host:port" or "[v6]:port". */
function hostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.replace(/^dns:(\/\/\/)?/, ''));
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

interface Outcome {
  /** The server answered HTTP/2 over TLS. */
  answered: boolean;
  /** The handshake was through when the connection ended. */
  afterHandshake: boolean;
  error?: Error;
}

function handshake(address: string, t: WorkerOptions['tls']): Promise<Outcome | undefined> {
  const target = hostPort(address);
  if (!target) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let secured = false;
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      ALPNProtocols: ['h2'],
      // A plaintext worker asks only whether TLS answers; a TLS one checks as grpc-js does.
      rejectUnauthorized: Boolean(t),
      ...(t ? { ca: t.ca, ...(t.cert && t.key ? { cert: t.cert, key: t.key } : {}) } : {}),
      ...(net.isIP(target.host) && !t?.serverName ? {} : { servername: t?.serverName ?? target.host }),
    });
    const done = (o: Outcome | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done(undefined), PROBE_MS);
    timer.unref();
    socket.once('secureConnect', () => {
      secured = true;
      socket.write(H2_PREFACE);
    });
    socket.once('data', () => done({ answered: true, afterHandshake: true }));
    socket.once('error', (error) => done({ answered: false, afterHandshake: secured, error }));
    socket.once('close', () => done({ answered: false, afterHandshake: secured }));
  });
}

/**
 * The cause of an `unclear` failure at `address`, from one TLS handshake: `config` when the two sides
 * disagree on TLS or on this site's certificate, else what the handshake's error says (or `unclear`).
 */
export async function probeTls(address: string, t: WorkerOptions['tls']): Promise<Failure | undefined> {
  const o = await handshake(address, t);
  if (!o) return undefined;
  if (!t) {
    const said = o.error?.message ?? '';
    // A plaintext answer: TLS is not what is wrong.
    if (/wrong version number|packet length/i.test(said)) return undefined;
    // Any TLS answer (a handshake, or a TLS alert) means the coordinator speaks TLS.
    if (o.answered || o.afterHandshake || /alert/i.test(said))
      return {
        kind: 'config',
        cause: 'the coordinator speaks TLS, but this worker dials without it',
        fix: "give --tls-ca (the federation's CA), and --tls-cert and --tls-key if the coordinator asks for client certificates",
      };
    const plain = o.error ? classify(said) : undefined;
    return plain?.kind === 'transient' ? plain : undefined;
  }
  if (o.answered) return undefined;
  const named = o.error ? classify(o.error.message) : undefined;
  if (named?.kind === 'config') return named;
  // Dropped (closed, reset) once the handshake was through: the coordinator refused what it was shown.
  if (o.afterHandshake)
    return t.cert
      ? {
          kind: 'config',
          cause:
            "the coordinator closed the connection right after the TLS handshake: it does not accept this site's certificate (--tls-cert)",
          fix: "use a certificate signed by the federation's CA (accord certs sign), with its key in --tls-key",
        }
      : {
          kind: 'config',
          cause:
            'the coordinator closed the connection right after the TLS handshake: it asks for a client certificate',
          fix: "give --tls-cert and --tls-key: this site's certificate, signed by the federation's CA",
        };
  return named;
}
