// Original file: proto/accord.proto

import type { TaskHeader as _accord_v1_TaskHeader, TaskHeader__Output as _accord_v1_TaskHeader__Output } from '../../accord/v1/TaskHeader.js';

export interface TrainTask {
  'header'?: (_accord_v1_TaskHeader | null);
}

export interface TrainTask__Output {
  'header': (_accord_v1_TaskHeader__Output | null);
}
