// Original file: proto/accord.proto

import type { Hello as _accord_v1_Hello, Hello__Output as _accord_v1_Hello__Output } from '../../accord/v1/Hello.js';
import type { UpdateChunk as _accord_v1_UpdateChunk, UpdateChunk__Output as _accord_v1_UpdateChunk__Output } from '../../accord/v1/UpdateChunk.js';
import type { Metrics as _accord_v1_Metrics, Metrics__Output as _accord_v1_Metrics__Output } from '../../accord/v1/Metrics.js';
import type { Heartbeat as _accord_v1_Heartbeat, Heartbeat__Output as _accord_v1_Heartbeat__Output } from '../../accord/v1/Heartbeat.js';
import type { Error as _accord_v1_Error, Error__Output as _accord_v1_Error__Output } from '../../accord/v1/Error.js';
import type { SecAggResponse as _accord_v1_SecAggResponse, SecAggResponse__Output as _accord_v1_SecAggResponse__Output } from '../../accord/v1/SecAggResponse.js';
import type { Approval as _accord_v1_Approval, Approval__Output as _accord_v1_Approval__Output } from '../../accord/v1/Approval.js';
import type { AuditHead as _accord_v1_AuditHead, AuditHead__Output as _accord_v1_AuditHead__Output } from '../../accord/v1/AuditHead.js';
import type { AppRequest as _accord_v1_AppRequest, AppRequest__Output as _accord_v1_AppRequest__Output } from '../../accord/v1/AppRequest.js';

export interface WorkerMessage {
  'hello'?: (_accord_v1_Hello | null);
  'updateChunk'?: (_accord_v1_UpdateChunk | null);
  'metrics'?: (_accord_v1_Metrics | null);
  'heartbeat'?: (_accord_v1_Heartbeat | null);
  'error'?: (_accord_v1_Error | null);
  'secaggResponse'?: (_accord_v1_SecAggResponse | null);
  'approval'?: (_accord_v1_Approval | null);
  'auditHead'?: (_accord_v1_AuditHead | null);
  'appRequest'?: (_accord_v1_AppRequest | null);
  'body'?: "hello"|"updateChunk"|"metrics"|"heartbeat"|"error"|"secaggResponse"|"approval"|"auditHead"|"appRequest";
}

export interface WorkerMessage__Output {
  'hello'?: (_accord_v1_Hello__Output | null);
  'updateChunk'?: (_accord_v1_UpdateChunk__Output | null);
  'metrics'?: (_accord_v1_Metrics__Output | null);
  'heartbeat'?: (_accord_v1_Heartbeat__Output | null);
  'error'?: (_accord_v1_Error__Output | null);
  'secaggResponse'?: (_accord_v1_SecAggResponse__Output | null);
  'approval'?: (_accord_v1_Approval__Output | null);
  'auditHead'?: (_accord_v1_AuditHead__Output | null);
  'appRequest'?: (_accord_v1_AppRequest__Output | null);
  'body'?: "hello"|"updateChunk"|"metrics"|"heartbeat"|"error"|"secaggResponse"|"approval"|"auditHead"|"appRequest";
}
