// Original file: proto/accord.proto

import type { DpSgd as _accord_v1_DpSgd, DpSgd__Output as _accord_v1_DpSgd__Output } from '../../accord/v1/DpSgd.js';

export interface TrainSettings {
  'epochs'?: (number);
  'batchSize'?: (number);
  'learningRate'?: (number | string);
  'optimizer'?: (string);
  'proximalMu'?: (number | string);
  'restrictedSoftmax'?: (boolean);
  'dpSgd'?: (_accord_v1_DpSgd | null);
  'localSteps'?: (number);
}

export interface TrainSettings__Output {
  'epochs': (number);
  'batchSize': (number);
  'learningRate': (number);
  'optimizer': (string);
  'proximalMu': (number);
  'restrictedSoftmax': (boolean);
  'dpSgd': (_accord_v1_DpSgd__Output | null);
  'localSteps': (number);
}
