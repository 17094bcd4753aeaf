// Original file: proto/accord.proto


export interface ManifestOffer {
  'experimentId'?: (string);
  'manifestHash'?: (string);
  'manifestJson'?: (string);
}

export interface ManifestOffer__Output {
  'experimentId': (string);
  'manifestHash': (string);
  'manifestJson': (string);
}
