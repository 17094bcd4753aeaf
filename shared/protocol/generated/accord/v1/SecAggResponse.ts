// Original file: proto/accord.proto

import type { SealedShare as _accord_v1_SealedShare, SealedShare__Output as _accord_v1_SealedShare__Output } from '../../accord/v1/SealedShare.js';
import type { RevealedShare as _accord_v1_RevealedShare, RevealedShare__Output as _accord_v1_RevealedShare__Output } from '../../accord/v1/RevealedShare.js';

export interface SecAggResponse {
  'taskId'?: (string);
  'stage'?: (string);
  'cPk'?: (Buffer | Uint8Array | string);
  'sPk'?: (Buffer | Uint8Array | string);
  'shares'?: (_accord_v1_SealedShare)[];
  'revealed'?: (_accord_v1_RevealedShare)[];
  'gPk'?: (Buffer | Uint8Array | string);
  'signature'?: (Buffer | Uint8Array | string);
  'seedCommitment'?: (Buffer | Uint8Array | string);
  'keySignature'?: (Buffer | Uint8Array | string);
}

export interface SecAggResponse__Output {
  'taskId': (string);
  'stage': (string);
  'cPk': (Buffer);
  'sPk': (Buffer);
  'shares': (_accord_v1_SealedShare__Output)[];
  'revealed': (_accord_v1_RevealedShare__Output)[];
  'gPk': (Buffer);
  'signature': (Buffer);
  'seedCommitment': (Buffer);
  'keySignature': (Buffer);
}
