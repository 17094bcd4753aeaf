// Original file: proto/accord.proto


export interface ModelChunk {
  'taskId'?: (string);
  'seq'?: (number);
  'last'?: (boolean);
  'data'?: (Buffer | Uint8Array | string);
}

export interface ModelChunk__Output {
  'taskId': (string);
  'seq': (number);
  'last': (boolean);
  'data': (Buffer);
}
