// Original file: proto/accord.proto


export interface Approval {
  'site'?: (string);
  'experimentId'?: (string);
  'manifestHash'?: (string);
  'how'?: (string);
  'approvedAt'?: (string);
  'publicKey'?: (string);
  'signature'?: (string);
}

export interface Approval__Output {
  'site': (string);
  'experimentId': (string);
  'manifestHash': (string);
  'how': (string);
  'approvedAt': (string);
  'publicKey': (string);
  'signature': (string);
}
