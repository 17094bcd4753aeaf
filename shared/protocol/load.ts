// Loads proto/accord.proto at run time; the static types come from ./generated (proto-loader-gen-types).

import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PACKAGE_ROOT } from '../package-root.js';
import { MAX_CHUNK_BYTES } from './chunks.js';
import type { ProtoGrpcType } from './generated/accord.js';

export const PROTO_PATH = path.join(PACKAGE_ROOT, 'proto', 'accord.proto');

let cached: ProtoGrpcType | undefined;

export function loadProtocol(): ProtoGrpcType {
  if (!cached) {
    const def = protoLoader.loadSync(PROTO_PATH, { longs: String, enums: String, defaults: true, oneofs: true });
    cached = grpc.loadPackageDefinition(def) as unknown as ProtoGrpcType;
  }
  return cached;
}

/** Messages carry at most one 1 MiB chunk plus headers; anything larger is refused by gRPC itself. */
export const MAX_MESSAGE_BYTES = MAX_CHUNK_BYTES + 64 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': 4 * MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
};

export type { AppChunk__Output } from './generated/accord/v1/AppChunk.js';
export type { AppRequest__Output } from './generated/accord/v1/AppRequest.js';
export type { CoordinatorMessage, CoordinatorMessage__Output } from './generated/accord/v1/CoordinatorMessage.js';
export type { FederationClient, FederationHandlers } from './generated/accord/v1/Federation.js';
export type { Hello__Output } from './generated/accord/v1/Hello.js';
export type { Metrics__Output } from './generated/accord/v1/Metrics.js';
export type { ModelChunk__Output } from './generated/accord/v1/ModelChunk.js';
export type { SecAggRequest, SecAggRequest__Output } from './generated/accord/v1/SecAggRequest.js';
export type { TaskHeader, TaskHeader__Output } from './generated/accord/v1/TaskHeader.js';
export type { TaskSpec as TaskSpecMessage, TaskSpec__Output } from './generated/accord/v1/TaskSpec.js';
export type { WorkerMessage, WorkerMessage__Output } from './generated/accord/v1/WorkerMessage.js';
