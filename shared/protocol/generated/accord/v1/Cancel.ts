// Original file: proto/accord.proto


export interface Cancel {
  'taskId'?: (string);
  'reason'?: (string);
}

export interface Cancel__Output {
  'taskId': (string);
  'reason': (string);
}
