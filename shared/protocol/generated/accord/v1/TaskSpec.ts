// Original file: proto/accord.proto

import type { TrainSettings as _accord_v1_TrainSettings, TrainSettings__Output as _accord_v1_TrainSettings__Output } from '../../accord/v1/TrainSettings.js';
import type { Long } from '@grpc/proto-loader';

export interface TaskSpec {
  'dataJson'?: (string);
  'modelJson'?: (string);
  'train'?: (_accord_v1_TrainSettings | null);
  'dpClip'?: (number | string);
  'secure'?: (boolean);
  'seed'?: (number | string | Long);
  'dpNoiseMultiplier'?: (number | string);
  'roundSites'?: (number);
  'rounds'?: (number);
  'colludingSites'?: (number);
  'manifestHash'?: (string);
  'manifestJson'?: (string);
  'personalizationJson'?: (string);
}

export interface TaskSpec__Output {
  'dataJson': (string);
  'modelJson': (string);
  'train': (_accord_v1_TrainSettings__Output | null);
  'dpClip': (number);
  'secure': (boolean);
  'seed': (string);
  'dpNoiseMultiplier': (number);
  'roundSites': (number);
  'rounds': (number);
  'colludingSites': (number);
  'manifestHash': (string);
  'manifestJson': (string);
  'personalizationJson': (string);
}
