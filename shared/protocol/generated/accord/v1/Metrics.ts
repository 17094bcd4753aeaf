// Original file: proto/accord.proto

import type { Long } from '@grpc/proto-loader';

export interface Metrics {
  'taskId'?: (string);
  'round'?: (number);
  'examples'?: (number | string | Long);
  'values'?: ({[key: string]: number | string});
}

export interface Metrics__Output {
  'taskId': (string);
  'round': (number);
  'examples': (string);
  'values': ({[key: string]: number});
}
