// Original file: proto/accord.proto


export interface Error {
  'taskId'?: (string);
  'code'?: (string);
  'message'?: (string);
}

export interface Error__Output {
  'taskId': (string);
  'code': (string);
  'message': (string);
}
