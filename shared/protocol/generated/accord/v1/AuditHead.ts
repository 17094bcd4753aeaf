// Original file: proto/accord.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditHead {
  'experimentId'?: (string);
  'round'?: (number);
  'taskId'?: (string);
  'entries'?: (number | string | Long);
  'hash'?: (string);
  'signature'?: (string);
}

export interface AuditHead__Output {
  'experimentId': (string);
  'round': (number);
  'taskId': (string);
  'entries': (string);
  'hash': (string);
  'signature': (string);
}
