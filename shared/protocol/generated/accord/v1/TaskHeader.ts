// Original file: proto/accord.proto

import type { TensorSpec as _accord_v1_TensorSpec, TensorSpec__Output as _accord_v1_TensorSpec__Output } from '../../accord/v1/TensorSpec.js';
import type { TaskSpec as _accord_v1_TaskSpec, TaskSpec__Output as _accord_v1_TaskSpec__Output } from '../../accord/v1/TaskSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface TaskHeader {
  'taskId'?: (string);
  'experimentId'?: (string);
  'round'?: (number);
  'deadlineUnixMs'?: (number | string | Long);
  'modelBytes'?: (number | string | Long);
  'tensors'?: (_accord_v1_TensorSpec)[];
  'attempt'?: (number);
  'spec'?: (_accord_v1_TaskSpec | null);
}

export interface TaskHeader__Output {
  'taskId': (string);
  'experimentId': (string);
  'round': (number);
  'deadlineUnixMs': (string);
  'modelBytes': (string);
  'tensors': (_accord_v1_TensorSpec__Output)[];
  'attempt': (number);
  'spec': (_accord_v1_TaskSpec__Output | null);
}
