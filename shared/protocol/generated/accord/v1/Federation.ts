// Original file: proto/accord.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CoordinatorMessage as _accord_v1_CoordinatorMessage, CoordinatorMessage__Output as _accord_v1_CoordinatorMessage__Output } from '../../accord/v1/CoordinatorMessage.js';
import type { WorkerMessage as _accord_v1_WorkerMessage, WorkerMessage__Output as _accord_v1_WorkerMessage__Output } from '../../accord/v1/WorkerMessage.js';

export interface FederationClient extends grpc.Client {
  Session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_accord_v1_WorkerMessage, _accord_v1_CoordinatorMessage__Output>;
  Session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_accord_v1_WorkerMessage, _accord_v1_CoordinatorMessage__Output>;
  session(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_accord_v1_WorkerMessage, _accord_v1_CoordinatorMessage__Output>;
  session(options?: grpc.CallOptions): grpc.ClientDuplexStream<_accord_v1_WorkerMessage, _accord_v1_CoordinatorMessage__Output>;
  
}

export interface FederationHandlers extends grpc.UntypedServiceImplementation {
  Session: grpc.handleBidiStreamingCall<_accord_v1_WorkerMessage__Output, _accord_v1_CoordinatorMessage>;
  
}

export interface FederationDefinition extends grpc.ServiceDefinition {
  Session: MethodDefinition<_accord_v1_WorkerMessage, _accord_v1_CoordinatorMessage, _accord_v1_WorkerMessage__Output, _accord_v1_CoordinatorMessage__Output>
}
