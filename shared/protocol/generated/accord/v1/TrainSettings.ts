// Original file: proto/accord.proto


export interface TrainSettings {
  'epochs'?: (number);
  'batchSize'?: (number);
  'learningRate'?: (number | string);
  'optimizer'?: (string);
  'proximalMu'?: (number | string);
  'restrictedSoftmax'?: (boolean);
}

export interface TrainSettings__Output {
  'epochs': (number);
  'batchSize': (number);
  'learningRate': (number);
  'optimizer': (string);
  'proximalMu': (number);
  'restrictedSoftmax': (boolean);
}
