// Original file: proto/accord.proto


export interface AppChunk {
  'sha256'?: (string);
  'seq'?: (number);
  'last'?: (boolean);
  'data'?: (Buffer | Uint8Array | string);
  'error'?: (string);
}

export interface AppChunk__Output {
  'sha256': (string);
  'seq': (number);
  'last': (boolean);
  'data': (Buffer);
  'error': (string);
}
