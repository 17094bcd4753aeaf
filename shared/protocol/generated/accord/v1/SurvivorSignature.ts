// Original file: proto/accord.proto


export interface SurvivorSignature {
  'site'?: (string);
  'signature'?: (Buffer | Uint8Array | string);
}

export interface SurvivorSignature__Output {
  'site': (string);
  'signature': (Buffer);
}
