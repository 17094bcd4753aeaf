// Original file: proto/accord.proto

import type { Long } from '@grpc/proto-loader';

export interface Dataset {
  'name'?: (string);
  'examples'?: (number | string | Long);
}

export interface Dataset__Output {
  'name': (string);
  'examples': (string);
}
