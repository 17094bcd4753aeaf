import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AppChunk as _accord_v1_AppChunk, AppChunk__Output as _accord_v1_AppChunk__Output } from './accord/v1/AppChunk.js';
import type { AppRequest as _accord_v1_AppRequest, AppRequest__Output as _accord_v1_AppRequest__Output } from './accord/v1/AppRequest.js';
import type { Approval as _accord_v1_Approval, Approval__Output as _accord_v1_Approval__Output } from './accord/v1/Approval.js';
import type { AuditHead as _accord_v1_AuditHead, AuditHead__Output as _accord_v1_AuditHead__Output } from './accord/v1/AuditHead.js';
import type { Cancel as _accord_v1_Cancel, Cancel__Output as _accord_v1_Cancel__Output } from './accord/v1/Cancel.js';
import type { CoordinatorMessage as _accord_v1_CoordinatorMessage, CoordinatorMessage__Output as _accord_v1_CoordinatorMessage__Output } from './accord/v1/CoordinatorMessage.js';
import type { Dataset as _accord_v1_Dataset, Dataset__Output as _accord_v1_Dataset__Output } from './accord/v1/Dataset.js';
import type { DpSgd as _accord_v1_DpSgd, DpSgd__Output as _accord_v1_DpSgd__Output } from './accord/v1/DpSgd.js';
import type { Error as _accord_v1_Error, Error__Output as _accord_v1_Error__Output } from './accord/v1/Error.js';
import type { EvaluateTask as _accord_v1_EvaluateTask, EvaluateTask__Output as _accord_v1_EvaluateTask__Output } from './accord/v1/EvaluateTask.js';
import type { FederationClient as _accord_v1_FederationClient, FederationDefinition as _accord_v1_FederationDefinition } from './accord/v1/Federation.js';
import type { Heartbeat as _accord_v1_Heartbeat, Heartbeat__Output as _accord_v1_Heartbeat__Output } from './accord/v1/Heartbeat.js';
import type { Hello as _accord_v1_Hello, Hello__Output as _accord_v1_Hello__Output } from './accord/v1/Hello.js';
import type { ManifestOffer as _accord_v1_ManifestOffer, ManifestOffer__Output as _accord_v1_ManifestOffer__Output } from './accord/v1/ManifestOffer.js';
import type { Metrics as _accord_v1_Metrics, Metrics__Output as _accord_v1_Metrics__Output } from './accord/v1/Metrics.js';
import type { ModelChunk as _accord_v1_ModelChunk, ModelChunk__Output as _accord_v1_ModelChunk__Output } from './accord/v1/ModelChunk.js';
import type { PeerKeys as _accord_v1_PeerKeys, PeerKeys__Output as _accord_v1_PeerKeys__Output } from './accord/v1/PeerKeys.js';
import type { QuantSpec as _accord_v1_QuantSpec, QuantSpec__Output as _accord_v1_QuantSpec__Output } from './accord/v1/QuantSpec.js';
import type { RevealedShare as _accord_v1_RevealedShare, RevealedShare__Output as _accord_v1_RevealedShare__Output } from './accord/v1/RevealedShare.js';
import type { SealedShare as _accord_v1_SealedShare, SealedShare__Output as _accord_v1_SealedShare__Output } from './accord/v1/SealedShare.js';
import type { SecAggRequest as _accord_v1_SecAggRequest, SecAggRequest__Output as _accord_v1_SecAggRequest__Output } from './accord/v1/SecAggRequest.js';
import type { SecAggResponse as _accord_v1_SecAggResponse, SecAggResponse__Output as _accord_v1_SecAggResponse__Output } from './accord/v1/SecAggResponse.js';
import type { StatsTask as _accord_v1_StatsTask, StatsTask__Output as _accord_v1_StatsTask__Output } from './accord/v1/StatsTask.js';
import type { SurvivorSignature as _accord_v1_SurvivorSignature, SurvivorSignature__Output as _accord_v1_SurvivorSignature__Output } from './accord/v1/SurvivorSignature.js';
import type { TaskHeader as _accord_v1_TaskHeader, TaskHeader__Output as _accord_v1_TaskHeader__Output } from './accord/v1/TaskHeader.js';
import type { TaskSpec as _accord_v1_TaskSpec, TaskSpec__Output as _accord_v1_TaskSpec__Output } from './accord/v1/TaskSpec.js';
import type { TensorSpec as _accord_v1_TensorSpec, TensorSpec__Output as _accord_v1_TensorSpec__Output } from './accord/v1/TensorSpec.js';
import type { TrainSettings as _accord_v1_TrainSettings, TrainSettings__Output as _accord_v1_TrainSettings__Output } from './accord/v1/TrainSettings.js';
import type { TrainTask as _accord_v1_TrainTask, TrainTask__Output as _accord_v1_TrainTask__Output } from './accord/v1/TrainTask.js';
import type { UpdateChunk as _accord_v1_UpdateChunk, UpdateChunk__Output as _accord_v1_UpdateChunk__Output } from './accord/v1/UpdateChunk.js';
import type { Welcome as _accord_v1_Welcome, Welcome__Output as _accord_v1_Welcome__Output } from './accord/v1/Welcome.js';
import type { WorkerMessage as _accord_v1_WorkerMessage, WorkerMessage__Output as _accord_v1_WorkerMessage__Output } from './accord/v1/WorkerMessage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  accord: {
    v1: {
      AppChunk: MessageTypeDefinition<_accord_v1_AppChunk, _accord_v1_AppChunk__Output>
      AppRequest: MessageTypeDefinition<_accord_v1_AppRequest, _accord_v1_AppRequest__Output>
      Approval: MessageTypeDefinition<_accord_v1_Approval, _accord_v1_Approval__Output>
      AuditHead: MessageTypeDefinition<_accord_v1_AuditHead, _accord_v1_AuditHead__Output>
      Cancel: MessageTypeDefinition<_accord_v1_Cancel, _accord_v1_Cancel__Output>
      CoordinatorMessage: MessageTypeDefinition<_accord_v1_CoordinatorMessage, _accord_v1_CoordinatorMessage__Output>
      Dataset: MessageTypeDefinition<_accord_v1_Dataset, _accord_v1_Dataset__Output>
      DpSgd: MessageTypeDefinition<_accord_v1_DpSgd, _accord_v1_DpSgd__Output>
      Error: MessageTypeDefinition<_accord_v1_Error, _accord_v1_Error__Output>
      EvaluateTask: MessageTypeDefinition<_accord_v1_EvaluateTask, _accord_v1_EvaluateTask__Output>
      Federation: SubtypeConstructor<typeof grpc.Client, _accord_v1_FederationClient> & { service: _accord_v1_FederationDefinition }
      Heartbeat: MessageTypeDefinition<_accord_v1_Heartbeat, _accord_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_accord_v1_Hello, _accord_v1_Hello__Output>
      ManifestOffer: MessageTypeDefinition<_accord_v1_ManifestOffer, _accord_v1_ManifestOffer__Output>
      Metrics: MessageTypeDefinition<_accord_v1_Metrics, _accord_v1_Metrics__Output>
      ModelChunk: MessageTypeDefinition<_accord_v1_ModelChunk, _accord_v1_ModelChunk__Output>
      PeerKeys: MessageTypeDefinition<_accord_v1_PeerKeys, _accord_v1_PeerKeys__Output>
      QuantSpec: MessageTypeDefinition<_accord_v1_QuantSpec, _accord_v1_QuantSpec__Output>
      RevealedShare: MessageTypeDefinition<_accord_v1_RevealedShare, _accord_v1_RevealedShare__Output>
      SealedShare: MessageTypeDefinition<_accord_v1_SealedShare, _accord_v1_SealedShare__Output>
      SecAggRequest: MessageTypeDefinition<_accord_v1_SecAggRequest, _accord_v1_SecAggRequest__Output>
      SecAggResponse: MessageTypeDefinition<_accord_v1_SecAggResponse, _accord_v1_SecAggResponse__Output>
      StatsTask: MessageTypeDefinition<_accord_v1_StatsTask, _accord_v1_StatsTask__Output>
      SurvivorSignature: MessageTypeDefinition<_accord_v1_SurvivorSignature, _accord_v1_SurvivorSignature__Output>
      TaskHeader: MessageTypeDefinition<_accord_v1_TaskHeader, _accord_v1_TaskHeader__Output>
      TaskSpec: MessageTypeDefinition<_accord_v1_TaskSpec, _accord_v1_TaskSpec__Output>
      TensorSpec: MessageTypeDefinition<_accord_v1_TensorSpec, _accord_v1_TensorSpec__Output>
      TrainSettings: MessageTypeDefinition<_accord_v1_TrainSettings, _accord_v1_TrainSettings__Output>
      TrainTask: MessageTypeDefinition<_accord_v1_TrainTask, _accord_v1_TrainTask__Output>
      UpdateChunk: MessageTypeDefinition<_accord_v1_UpdateChunk, _accord_v1_UpdateChunk__Output>
      Welcome: MessageTypeDefinition<_accord_v1_Welcome, _accord_v1_Welcome__Output>
      WorkerMessage: MessageTypeDefinition<_accord_v1_WorkerMessage, _accord_v1_WorkerMessage__Output>
    }
  }
}

