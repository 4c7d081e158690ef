/** PATCH of a node lives in @ingot/node-commands, shared with the Kubernetes adapter. */
export { NodePatchSchema, type NodePatch } from '@ingot/node-commands';
export { patchNode, updateNode } from './node-commands.js';
