import { setTimeout as sleep } from 'node:timers/promises';
import { checkAborted, pause } from '../abort.js';
import { OpenStackApiError, ProvisionError } from '../errors.js';
import type { ProviderContext } from '../provider.js';
import type { VmRecord } from '../state.js';
import type { OpenStackApi, ServerDetails } from './api.js';

/** The private IPv4 address of a server on `network` (or on any network if that one is not listed). */
export function privateIpv4(server: ServerDetails, network: string): string | undefined {
  const all = server.addresses ?? {};
  const lists = all[network] !== undefined ? [all[network]] : Object.values(all);
  for (const list of lists) {
    const fixed = list.find((a) => (a.version ?? 4) === 4 && (a['OS-EXT-IPS:type'] ?? 'fixed') === 'fixed');
    if (fixed !== undefined) return fixed.addr;
  }
  return undefined;
}

/** Every IPv4/IPv6 address of a server, fixed ones first. */
export function allAddresses(server: ServerDetails): string[] {
  return Object.values(server.addresses ?? {})
    .flat()
    .sort((a, b) => Number(a['OS-EXT-IPS:type'] === 'floating') - Number(b['OS-EXT-IPS:type'] === 'floating'))
    .map((a) => a.addr);
}

function isNotFound(e: unknown): boolean {
  return e instanceof OpenStackApiError && e.statusCode === 404;
}

/**
 * Polls servers until all are ACTIVE, printing each change of status. A server in ERROR fails
 * at once with Nova's fault message; so does the timeout.
 */
export async function waitActive(
  api: OpenStackApi,
  ctx: ProviderContext,
  vms: readonly VmRecord[],
  network: string,
): Promise<Map<string, ServerDetails>> {
  const { pollIntervalMs, activeTimeoutMs } = ctx.options;
  const started = Date.now();
  const last = new Map<string, string>();
  const done = new Map<string, ServerDetails>();
  let lastSummary = started;
  for (;;) {
    for (const vm of vms) {
      if (done.has(vm.name) || vm.id === undefined) continue;
      const server = await api.server(vm.id);
      const status = server.status.toUpperCase();
      if (last.get(vm.name) !== status) {
        const ip = status === 'ACTIVE' ? privateIpv4(server, network) : undefined;
        ctx.log(`  ${vm.name}: ${status}${ip === undefined ? '' : ` ${ip}`}`);
        last.set(vm.name, status);
      }
      if (status === 'ACTIVE') done.set(vm.name, server);
      if (status === 'ERROR') {
        const fault = server.fault?.message;
        throw new ProvisionError(`VM ${vm.name} went into ERROR${fault === undefined ? '' : `: ${fault}`}`);
      }
    }
    if (done.size === vms.length) return done;
    const elapsed = Date.now() - started;
    if (elapsed >= activeTimeoutMs) {
      const waiting = vms
        .filter((v) => !done.has(v.name))
        .map((v) => `${v.name} (${last.get(v.name) ?? '?'})`);
      throw new ProvisionError(
        `timed out after ${Math.round(activeTimeoutMs / 1000)} s waiting for ACTIVE: ${waiting.join(', ')}`,
      );
    }
    checkAborted(ctx.options.signal);
    if (Date.now() - lastSummary >= 30_000) {
      lastSummary = Date.now();
      ctx.log(
        `  still waiting for ACTIVE (${Math.round(elapsed / 1000)} s): ${done.size}/${vms.length} ready`,
      );
    }
    await pause(pollIntervalMs, ctx.options.signal);
  }
}

/** Deletes a server and waits until Nova no longer lists it; a server already gone is fine. */
export async function deleteServerAndWait(
  api: OpenStackApi,
  ctx: ProviderContext,
  id: string,
): Promise<void> {
  try {
    await api.deleteServer(id);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  const deadline = Date.now() + ctx.options.deleteTimeoutMs;
  for (;;) {
    try {
      const s = await api.server(id);
      if (s.status.toUpperCase() === 'DELETED') return;
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (Date.now() >= deadline) {
      throw new ProvisionError(
        `VM ${id} was still there ${Math.round(ctx.options.deleteTimeoutMs / 1000)} s after delete`,
      );
    }
    await sleep(ctx.options.pollIntervalMs);
  }
}

/** Deletes a security group, retrying while Nova still detaches it from deleted VMs (409 in use). */
export async function deleteGroupWhenFree(
  api: OpenStackApi,
  ctx: ProviderContext,
  id: string,
): Promise<void> {
  const deadline = Date.now() + ctx.options.deleteTimeoutMs;
  for (;;) {
    try {
      await api.deleteSecurityGroup(id);
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      const inUse = e instanceof OpenStackApiError && e.statusCode === 409;
      if (!inUse || Date.now() >= deadline) throw e;
    }
    await sleep(ctx.options.pollIntervalMs);
  }
}

export { isNotFound };
