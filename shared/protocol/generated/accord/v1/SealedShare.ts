// Original file: proto/accord.proto


export interface SealedShare {
  'from'?: (string);
  'to'?: (string);
  'sealed'?: (Buffer | Uint8Array | string);
}

export interface SealedShare__Output {
  'from': (string);
  'to': (string);
  'sealed': (Buffer);
}
