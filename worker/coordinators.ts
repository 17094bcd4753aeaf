// The coordinators a worker may dial: one address, or several separated by commas (coordinators
// sharing one Redis). After a lost session the worker dials the next one, so a site follows the
// federation when one coordinator dies.
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, type FederationClient, loadProtocol } from '../shared/protocol/load.js';
import type { WorkerOptions } from './options.js';

export class Coordinators {
  readonly addresses: string[];
  private index = 0;
  private current: { address: string; client: FederationClient } | undefined;

  constructor(private readonly opts: Pick<WorkerOptions, 'coordinator' | 'tls'>) {
    this.addresses = opts.coordinator
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
  }

  get address(): string {
    return this.addresses[this.index % this.addresses.length] ?? this.opts.coordinator;
  }

  /** A gRPC client for the current address (made once per address it moves to). */
  client(): FederationClient {
    if (this.current?.address === this.address) return this.current.client;
    this.current?.client.close();
    const Federation = loadProtocol().accord.v1.Federation;
    const t = this.opts.tls;
    const creds = t
      ? grpc.credentials.createSsl(t.ca, t.key ?? null, t.cert ?? null)
      : grpc.credentials.createInsecure();
    const client = new Federation(this.address, creds, {
      ...CHANNEL_OPTIONS,
      // grpc-js backs off its own reconnects (1 s growing to 120 s) under the worker's: a restarted
      // coordinator would wait for the channel's next try. The worker's backoff (client.ts) paces it.
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1000,
      ...(t?.serverName ? { 'grpc.ssl_target_name_override': t.serverName } : {}),
    });
    this.current = { address: this.address, client };
    return client;
  }

  /** Moves to the next address; `wrapped` when every address has been tried once since the last wrap. */
  next(): { address: string; wrapped: boolean } {
    this.index++;
    return { address: this.address, wrapped: this.index % this.addresses.length === 0 };
  }

  close(): void {
    this.current?.client.close();
    this.current = undefined;
  }
}
