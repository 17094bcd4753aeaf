// Original file: proto/accord.proto

import type { PeerKeys as _accord_v1_PeerKeys, PeerKeys__Output as _accord_v1_PeerKeys__Output } from '../../accord/v1/PeerKeys.js';
import type { SealedShare as _accord_v1_SealedShare, SealedShare__Output as _accord_v1_SealedShare__Output } from '../../accord/v1/SealedShare.js';
import type { QuantSpec as _accord_v1_QuantSpec, QuantSpec__Output as _accord_v1_QuantSpec__Output } from '../../accord/v1/QuantSpec.js';
import type { SurvivorSignature as _accord_v1_SurvivorSignature, SurvivorSignature__Output as _accord_v1_SurvivorSignature__Output } from '../../accord/v1/SurvivorSignature.js';
import type { Long } from '@grpc/proto-loader';

export interface SecAggRequest {
  'taskId'?: (string);
  'experimentId'?: (string);
  'round'?: (number);
  'stage'?: (string);
  'deadlineUnixMs'?: (number | string | Long);
  'peers'?: (_accord_v1_PeerKeys)[];
  'threshold'?: (number | string);
  'graphSeed'?: (string);
  'shares'?: (_accord_v1_SealedShare)[];
  'sharers'?: (string)[];
  'quant'?: (_accord_v1_QuantSpec | null);
  'dropped'?: (string)[];
  'survivors'?: (string)[];
  'attempt'?: (number);
  'neighbours'?: (number);
  'signatures'?: (_accord_v1_SurvivorSignature)[];
  'manifestHash'?: (string);
}

export interface SecAggRequest__Output {
  'taskId': (string);
  'experimentId': (string);
  'round': (number);
  'stage': (string);
  'deadlineUnixMs': (string);
  'peers': (_accord_v1_PeerKeys__Output)[];
  'threshold': (number);
  'graphSeed': (string);
  'shares': (_accord_v1_SealedShare__Output)[];
  'sharers': (string)[];
  'quant': (_accord_v1_QuantSpec__Output | null);
  'dropped': (string)[];
  'survivors': (string)[];
  'attempt': (number);
  'neighbours': (number);
  'signatures': (_accord_v1_SurvivorSignature__Output)[];
  'manifestHash': (string);
}
