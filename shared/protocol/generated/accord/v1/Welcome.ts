// Original file: proto/accord.proto


export interface Welcome {
  'sessionId'?: (string);
  'coordinatorInstance'?: (string);
  'heartbeatMs'?: (number);
  'maxChunkBytes'?: (number);
}

export interface Welcome__Output {
  'sessionId': (string);
  'coordinatorInstance': (string);
  'heartbeatMs': (number);
  'maxChunkBytes': (number);
}
