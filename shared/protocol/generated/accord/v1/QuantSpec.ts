// Original file: proto/accord.proto


export interface QuantSpec {
  'range'?: (number | string);
  'levels'?: (number);
  'weightScale'?: (number | string);
  'noiseStd'?: (number | string);
  'uniformWeight'?: (boolean);
}

export interface QuantSpec__Output {
  'range': (number);
  'levels': (number);
  'weightScale': (number);
  'noiseStd': (number);
  'uniformWeight': (boolean);
}
