// Original file: proto/accord.proto

import type { Dataset as _accord_v1_Dataset, Dataset__Output as _accord_v1_Dataset__Output } from '../../accord/v1/Dataset.js';

export interface Hello {
  'siteId'?: (string);
  'token'?: (string);
  'datasets'?: (_accord_v1_Dataset)[];
  'backend'?: (string);
  'version'?: (string);
  'tfjsVersion'?: (string);
  'device'?: (string);
  'backendReason'?: (string);
  'workerInstance'?: (string);
}

export interface Hello__Output {
  'siteId': (string);
  'token': (string);
  'datasets': (_accord_v1_Dataset__Output)[];
  'backend': (string);
  'version': (string);
  'tfjsVersion': (string);
  'device': (string);
  'backendReason': (string);
  'workerInstance': (string);
}
