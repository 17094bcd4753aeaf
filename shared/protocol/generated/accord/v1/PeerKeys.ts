// Original file: proto/accord.proto


export interface PeerKeys {
  'site'?: (string);
  'cPk'?: (Buffer | Uint8Array | string);
  'sPk'?: (Buffer | Uint8Array | string);
  'gPk'?: (Buffer | Uint8Array | string);
  'keySignature'?: (Buffer | Uint8Array | string);
}

export interface PeerKeys__Output {
  'site': (string);
  'cPk': (Buffer);
  'sPk': (Buffer);
  'gPk': (Buffer);
  'keySignature': (Buffer);
}
