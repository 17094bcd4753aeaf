// Original file: proto/accord.proto


export interface AppRequest {
  'experimentId'?: (string);
  'sha256'?: (string);
}

export interface AppRequest__Output {
  'experimentId': (string);
  'sha256': (string);
}
