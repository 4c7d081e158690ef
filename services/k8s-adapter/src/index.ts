export { adapterConfigFromEnv, type AdapterConfig } from './config.js';
export { startAdapter, type Adapter } from './service.js';
export { parseBmcAddress, isLoopback, checkLoopbackBmc, BmcAddressError } from './bmc-address.js';
export { decide, type Desired, type Decision } from './decide.js';
export { nodeNameOf } from './host-key.js';
