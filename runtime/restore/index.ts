/**
 * `drox-backup restore`: the backups brought back as new resources, run with the operator's own
 * credentials. Each restore is recorded and published as `backup.restore.v1`.
 */
export { createRestoreDeps, type RestoreDeps } from "./context";
export { restoreEbs, type EbsRestoreRequest, type EbsRestoreResult } from "./ebs";
export { restoreRds, type RdsRestoreRequest, type RdsRestoreResult } from "./rds";
export {
  restoreS3,
  type S3RestoreItem,
  type S3RestoreRequest,
  type S3RestoreResult,
  type S3RestoreSummary,
} from "./s3";
export { RestoreRefused, type RefusalCode } from "./errors";
export { RestoreDeliveryError } from "./record";
export { identifyOperator, operatorName } from "./event";
