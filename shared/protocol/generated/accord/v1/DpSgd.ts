// Original file: proto/accord.proto


export interface DpSgd {
  'noiseMultiplier'?: (number | string);
  'clip'?: (number | string);
  'delta'?: (number | string);
}

export interface DpSgd__Output {
  'noiseMultiplier': (number);
  'clip': (number);
  'delta': (number);
}
