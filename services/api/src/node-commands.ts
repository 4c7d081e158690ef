/**
 * The node commands live in @ingot/node-commands, shared with the Kubernetes adapter. The API
 * calls them through here, so that a refused command becomes an ApiError like every other
 * refusal (the routes that collect several failures, such as validate, look for ApiError).
 */
import * as commands from '@ingot/node-commands';
import { ApiError } from './errors.js';

export { conductorCommand, PICKUP_WAIT_MS, type ProvisionExtras } from '@ingot/node-commands';

/** The same function, with a NodeCommandError rethrown as the ApiError of its status. */
function answering<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const translate = (error: unknown): never => {
    if (error instanceof commands.NodeCommandError)
      throw new ApiError(error.statusCode, error.message);
    throw error;
  };
  return (...args) => {
    try {
      const result = fn(...args);
      return (result instanceof Promise ? result.catch(translate) : result) as R;
    } catch (error) {
      return translate(error);
    }
  };
}

export const checkDriverInfo = answering(commands.checkDriverInfo);
export const requestProvision = answering(commands.requestProvision);
export const requestPower = answering(commands.requestPower);
export const awaitPickup = answering(commands.awaitPickup);
export const createNode = answering(commands.createNode);
export const updateNode = answering(commands.updateNode);
export const deleteNode = answering(commands.deleteNode);
export const createPort = answering(commands.createPort);
export const patchNode = answering(commands.patchNode);
export const checkInterfaces = answering(commands.checkInterfaces);
export const booleanFieldOf = answering(commands.booleanFieldOf);
