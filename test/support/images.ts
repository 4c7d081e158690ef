// The sample image and its HTTP origin live in the lab, which the demo shares.
export {
  ImageOrigin,
  makeTestImage,
  partitionsOf,
  readRange,
  scratchDir,
  sha256,
  type TestImage,
} from '@ingot/lab';
