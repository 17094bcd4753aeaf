// Original file: proto/accord.proto

import type { TensorSpec as _accord_v1_TensorSpec, TensorSpec__Output as _accord_v1_TensorSpec__Output } from '../../accord/v1/TensorSpec';
import type { Long } from '@grpc/proto-loader';

export interface TaskHeader {
  'taskId'?: (string);
  'experimentId'?: (string);
  'round'?: (number);
  'configJson'?: (string);
  'deadlineUnixMs'?: (number | string | Long);
  'modelBytes'?: (number | string | Long);
  'tensors'?: (_accord_v1_TensorSpec)[];
}

export interface TaskHeader__Output {
  'taskId': (string);
  'experimentId': (string);
  'round': (number);
  'configJson': (string);
  'deadlineUnixMs': (string);
  'modelBytes': (string);
  'tensors': (_accord_v1_TensorSpec__Output)[];
}
