// Original file: proto/accord.proto


export interface UpdateChunk {
  'taskId'?: (string);
  'seq'?: (number);
  'last'?: (boolean);
  'data'?: (Buffer | Uint8Array | string);
}

export interface UpdateChunk__Output {
  'taskId': (string);
  'seq': (number);
  'last': (boolean);
  'data': (Buffer);
}
