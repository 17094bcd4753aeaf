// Original file: proto/accord.proto

import type { Welcome as _accord_v1_Welcome, Welcome__Output as _accord_v1_Welcome__Output } from '../../accord/v1/Welcome.js';
import type { TrainTask as _accord_v1_TrainTask, TrainTask__Output as _accord_v1_TrainTask__Output } from '../../accord/v1/TrainTask.js';
import type { EvaluateTask as _accord_v1_EvaluateTask, EvaluateTask__Output as _accord_v1_EvaluateTask__Output } from '../../accord/v1/EvaluateTask.js';
import type { ModelChunk as _accord_v1_ModelChunk, ModelChunk__Output as _accord_v1_ModelChunk__Output } from '../../accord/v1/ModelChunk.js';
import type { Cancel as _accord_v1_Cancel, Cancel__Output as _accord_v1_Cancel__Output } from '../../accord/v1/Cancel.js';
import type { Error as _accord_v1_Error, Error__Output as _accord_v1_Error__Output } from '../../accord/v1/Error.js';
import type { SecAggRequest as _accord_v1_SecAggRequest, SecAggRequest__Output as _accord_v1_SecAggRequest__Output } from '../../accord/v1/SecAggRequest.js';
import type { StatsTask as _accord_v1_StatsTask, StatsTask__Output as _accord_v1_StatsTask__Output } from '../../accord/v1/StatsTask.js';
import type { ManifestOffer as _accord_v1_ManifestOffer, ManifestOffer__Output as _accord_v1_ManifestOffer__Output } from '../../accord/v1/ManifestOffer.js';
import type { AppChunk as _accord_v1_AppChunk, AppChunk__Output as _accord_v1_AppChunk__Output } from '../../accord/v1/AppChunk.js';

export interface CoordinatorMessage {
  'welcome'?: (_accord_v1_Welcome | null);
  'trainTask'?: (_accord_v1_TrainTask | null);
  'evaluateTask'?: (_accord_v1_EvaluateTask | null);
  'modelChunk'?: (_accord_v1_ModelChunk | null);
  'cancel'?: (_accord_v1_Cancel | null);
  'error'?: (_accord_v1_Error | null);
  'secaggRequest'?: (_accord_v1_SecAggRequest | null);
  'statsTask'?: (_accord_v1_StatsTask | null);
  'manifestOffer'?: (_accord_v1_ManifestOffer | null);
  'appChunk'?: (_accord_v1_AppChunk | null);
  'body'?: "welcome"|"trainTask"|"evaluateTask"|"modelChunk"|"cancel"|"error"|"secaggRequest"|"statsTask"|"manifestOffer"|"appChunk";
}

export interface CoordinatorMessage__Output {
  'welcome'?: (_accord_v1_Welcome__Output | null);
  'trainTask'?: (_accord_v1_TrainTask__Output | null);
  'evaluateTask'?: (_accord_v1_EvaluateTask__Output | null);
  'modelChunk'?: (_accord_v1_ModelChunk__Output | null);
  'cancel'?: (_accord_v1_Cancel__Output | null);
  'error'?: (_accord_v1_Error__Output | null);
  'secaggRequest'?: (_accord_v1_SecAggRequest__Output | null);
  'statsTask'?: (_accord_v1_StatsTask__Output | null);
  'manifestOffer'?: (_accord_v1_ManifestOffer__Output | null);
  'appChunk'?: (_accord_v1_AppChunk__Output | null);
  'body'?: "welcome"|"trainTask"|"evaluateTask"|"modelChunk"|"cancel"|"error"|"secaggRequest"|"statsTask"|"manifestOffer"|"appChunk";
}
