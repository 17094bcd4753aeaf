// Original file: proto/accord.proto


export interface RevealedShare {
  'owner'?: (string);
  'kind'?: (string);
  'share'?: (Buffer | Uint8Array | string);
}

export interface RevealedShare__Output {
  'owner': (string);
  'kind': (string);
  'share': (Buffer);
}
