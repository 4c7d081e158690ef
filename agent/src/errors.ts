// IPA's REST errors: the same type names, codes and {type, code, message, details} shape, so
// that a conductor written for ironic-python-agent reads our failures unchanged.
export interface SerializedError {
  type: string;
  code: number;
  message: string;
  details: string;
}

export class AgentError extends Error {
  constructor(
    readonly type: string,
    readonly code: number,
    readonly title: string,
    readonly details: string,
  ) {
    super(`${title}: ${details}`);
    this.name = type;
  }

  serialize(): SerializedError {
    return { type: this.type, code: this.code, message: this.title, details: this.details };
  }

  static invalidContent(details: string): AgentError {
    return new AgentError('InvalidContentError', 400, 'Invalid request body', details);
  }
  static invalidCommand(details: string): AgentError {
    return new AgentError('InvalidCommandError', 400, 'Invalid command', details);
  }
  static invalidParams(details: string): AgentError {
    return new AgentError('InvalidCommandParamsError', 400, 'Invalid command parameters', details);
  }
  static unauthorized(): AgentError {
    return new AgentError('Unauthorized', 401, 'Unauthorized', 'Token invalid.');
  }
  static notFound(details = 'The requested URL was not found.'): AgentError {
    return new AgentError('NotFound', 404, 'Not found', details);
  }
  static commandNotFound(id: string): AgentError {
    return new AgentError(
      'RequestedObjectNotFoundError',
      404,
      'Not found',
      `Command with id ${id} not found.`,
    );
  }
  static agentIsBusy(commandName: string): AgentError {
    return new AgentError('AgentIsBusy', 409, 'Agent is busy', `executing command ${commandName}`);
  }
  static commandExecution(details: string): AgentError {
    return new AgentError('CommandExecutionError', 500, 'Command execution failed', details);
  }
  static versionMismatch(agentVersions: unknown, nodeVersions: unknown): AgentError {
    return new AgentError(
      'VersionMismatch',
      409,
      'Hardware managers version mismatch, reload agent with correct version',
      `Current versions: ${JSON.stringify(agentVersions)}, versions used by ironic: ${JSON.stringify(nodeVersions)}`,
    );
  }
  static cleaning(details: string): AgentError {
    return new AgentError('CleaningError', 500, 'Clean step failed', details);
  }
  static servicing(details: string): AgentError {
    return new AgentError('ServicingError', 500, 'Service step failed', details);
  }
  static deployment(details: string): AgentError {
    return new AgentError('DeploymentError', 500, 'Deploy step failed', details);
  }
  static blockDeviceErase(details: string): AgentError {
    return new AgentError('BlockDeviceEraseError', 500, 'Error erasing block device', details);
  }
  static deviceNotFound(details: string): AgentError {
    return new AgentError(
      'DeviceNotFound',
      404,
      'Error finding the disk or partition device to deploy the image onto',
      details,
    );
  }
  static imageDownload(imageId: string, why: string): AgentError {
    return new AgentError(
      'ImageDownloadError',
      500,
      'Error downloading image',
      `Download of image ${imageId} failed: ${why}`,
    );
  }
  static imageChecksum(details: string): AgentError {
    return new AgentError('ImageChecksumError', 500, 'Error verifying image checksum', details);
  }
  static imageWrite(details: string): AgentError {
    return new AgentError('ImageWriteError', 500, 'Error writing image to device', details);
  }
  static invalidImage(details: string): AgentError {
    return new AgentError('InvalidImage', 500, 'The provided image is not valid for use', details);
  }
  static configDrive(details: string): AgentError {
    return new AgentError('InstanceDeployFailure', 500, 'Config drive failed', details);
  }
}

/** Any thrown value as an AgentError; foreign errors become CommandExecutionError (as in IPA). */
export function toAgentError(err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  return AgentError.commandExecution(err instanceof Error ? err.message : String(err));
}

const INVALID_CONTENT_TYPES = new Set([
  'InvalidContentError',
  'InvalidCommandError',
  'InvalidCommandParamsError',
]);

/** Bad requests go back to the caller as HTTP 400 instead of becoming a FAILED command. */
export function isInvalidContent(err: unknown): err is AgentError {
  return err instanceof AgentError && INVALID_CONTENT_TYPES.has(err.type);
}

/** A reason to stop the agent for good (bad token, lookup timeout): main exits non-zero. */
export class AgentFatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentFatalError';
  }
}
