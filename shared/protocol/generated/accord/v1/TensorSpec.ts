// Original file: proto/accord.proto


export interface TensorSpec {
  'name'?: (string);
  'shape'?: (number)[];
}

export interface TensorSpec__Output {
  'name': (string);
  'shape': (number)[];
}
