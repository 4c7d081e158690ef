import { buildConfigDrive } from '@ingot/media';
import type { ConductorContext } from '../context.js';
import type { LeasedNode } from '../node-lease.js';
import { transitionNode, updateNode } from '../transition-node.js';
import { prepareImage, withoutImageWait } from './image-wait.js';
import { bootInstance } from './instance-boot.js';
import { bootRamdisk } from './ramdisk.js';
import { deploySourceOf } from './instance-info.js';
import { rootDeviceFor } from './root-device.js';
import { disableSecureBoot } from './secure-boot.js';
import { extraDeploySteps, REQUESTED_DEPLOY_STEPS } from './deploy-steps.js';
import {
  advanceSteps,
  agentOf,
  saveProgress,
  stepProgressOf,
  type Step,
  type StepProgress,
} from './steps.js';

/**
 * `deploying` (deploy or rebuild) with the agent: have the site's image cache fetch, verify and
 * convert the image once, plan the write_image step, boot the agent, then wait for it.
 */
export async function deployWithAgent(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const done = stepProgressOf(leased);
  if (done?.operation === 'deploy' && done.index >= done.list.length)
    return finishDeploy(ctx, leased, requestId);

  const node = leased.node;
  const extra = await extraDeploySteps(ctx, leased);
  const source = deploySourceOf(node.instanceInfo, node.properties);
  const prepared = await prepareImage(
    ctx,
    leased,
    {
      image_source: source.imageSource,
      checksum: source.checksum,
      ...(source.hashAlgo ? { hash_algo: source.hashAlgo } : {}),
      ...(source.diskFormat ? { disk_format: source.diskFormat } : {}),
      allow_md5: ctx.config.allowMd5,
    },
    requestId,
  );
  if (!prepared) return; // still being fetched: asked again at wake_at, by any conductor
  const { image, waitedMs } = prepared;
  const rootDevice = await rootDeviceFor(ctx, node, source.rootDeviceHints);
  const writeImage: Step = {
    interface: 'deploy',
    step: 'write_image',
    priority: 80,
    args: {
      image_info: {
        id: image.sha256,
        urls: [image.url],
        disk_format: 'raw',
        container_format: 'bare',
        os_hash_algo: 'sha256',
        os_hash_value: image.sha256,
        stream_raw_images: true,
        node_uuid: node.uuid,
        ...(rootDevice ? { root_device: rootDevice } : {}),
      },
    },
  };
  // By priority, highest first (write_image is 80); the sort keeps equal ones in order.
  const progress: StepProgress = {
    operation: 'deploy',
    index: 0,
    list: [...extra, writeImage].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0)),
  };
  await updateNode(ctx, leased, {
    driverInternalInfo: { ...withoutImageWait(leased.node.driverInternalInfo), steps: progress },
  });
  // A rebuild: the instance booted securely, the agent boots with secure boot off.
  if (leased.node.secureBoot === true) await disableSecureBoot(ctx, leased, requestId);
  await bootRamdisk(ctx, leased, 'deploy', requestId);
  await transitionNode(ctx, leased, 'wait', {
    note: `image ${image.sha256.slice(0, 12)} ready${waitedMs > 0 ? ` after ${Math.round(waitedMs / 1000)} s` : ''}; waiting for the agent`,
    deadlineInMs: ctx.config.deployWaitTimeoutMs,
    requestId,
  });
}

/** `wait call-back`, on each heartbeat: run write_image through the agent, then boot the instance. */
export async function continueDeploy(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const progress = stepProgressOf(leased);
  if (progress?.operation !== 'deploy') return;
  if (progress.version === undefined) {
    const steps = await agentOf(ctx, leased).run(
      'deploy.get_deploy_steps',
      { node: { uuid: leased.node.uuid }, ports: [] },
      true,
    );
    progress.version =
      (steps.command_result as { hardware_manager_version?: unknown } | null)
        ?.hardware_manager_version ?? null;
    await saveProgress(ctx, leased, progress);
  }
  const outcome = await advanceSteps(ctx, leased, progress, {
    execute: 'deploy.execute_deploy_step',
    deadlineInMs: ctx.config.deployWaitTimeoutMs,
    requestId,
    params: async (step, p) => ({
      step: { ...step, args: { ...step.args, configdrive: await configDriveFor(leased) } },
      node: { uuid: leased.node.uuid, instance_info: {}, properties: leased.node.properties },
      ports: [],
      deploy_version: p.version,
    }),
  });
  if (outcome === 'complete') {
    await transitionNode(ctx, leased, 'resume', { note: 'image written', requestId });
    await finishDeploy(ctx, leased, requestId);
  }
}

/**
 * Boots the written disk: media out, disk as the persistent boot device (in UEFI mode when secure
 * boot is asked for), secure boot as asked, a clean power cycle.
 */
async function finishDeploy(
  ctx: ConductorContext,
  leased: LeasedNode,
  requestId?: string,
): Promise<void> {
  const powerState = await bootInstance(ctx, leased, requestId, { keepSteps: true });
  const {
    steps: _steps,
    [REQUESTED_DEPLOY_STEPS]: _requested,
    ...internal
  } = leased.node.driverInternalInfo as Record<string, unknown>;
  await transitionNode(ctx, leased, 'done', {
    note: 'deployed; booting from disk',
    lastError: null,
    requestId,
    set: { powerState, driverInternalInfo: internal },
  });
}

/** The config drive the agent writes: as given (encoded ISO or URL), or built from its JSON parts. */
async function configDriveFor(leased: LeasedNode): Promise<string | undefined> {
  const node = leased.node;
  const source = deploySourceOf(node.instanceInfo, node.properties);
  const given = source.configDrive;
  if (typeof given === 'string') return given;
  if (!given && source.userData === undefined && source.networkData === undefined) return undefined;
  const parts = (given ?? {}) as {
    meta_data?: Record<string, unknown>;
    user_data?: unknown;
    network_data?: Record<string, unknown>;
    vendor_data?: Record<string, unknown>;
  };
  const userData = parts.user_data ?? source.userData;
  const drive = await buildConfigDrive({
    meta_data: {
      uuid: node.uuid,
      name: node.name ?? node.uuid,
      hostname: node.name ?? node.uuid,
      ...parts.meta_data,
    },
    ...(userData !== undefined
      ? { user_data: typeof userData === 'string' ? userData : JSON.stringify(userData) }
      : {}),
    ...((parts.network_data ?? source.networkData)
      ? { network_data: parts.network_data ?? source.networkData }
      : {}),
    ...(parts.vendor_data ? { vendor_data: parts.vendor_data } : {}),
  });
  return drive.encoded;
}
