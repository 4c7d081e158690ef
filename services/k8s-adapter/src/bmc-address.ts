import { BmcAddressError, isLoopback, type BmcAccess } from '@ingot/metal3';

// Parsing Metal3's bmc.address lives in @ingot/metal3 (the ingot CLI reads the same addresses).
export { BmcAddressError, isLoopback, parseBmcAddress, type BmcAccess } from '@ingot/metal3';

/** Refuses a BMC outside this machine when only loopback BMCs are allowed (tests and the lab). */
export function checkLoopbackBmc(access: BmcAccess, loopbackOnly: boolean): void {
  if (loopbackOnly && !isLoopback(access.host)) {
    throw new BmcAddressError(
      `BMC host '${access.host}' is outside 127.0.0.0/8 and INGOT_K8S_LOOPBACK_BMC_ONLY=true: Ingot does not contact it; point spec.bmc.address at a loopback BMC or unset INGOT_K8S_LOOPBACK_BMC_ONLY`,
    );
  }
}
