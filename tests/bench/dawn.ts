/**
 * WebGPU in Node through Dawn (the `webgpu` package's dawn.node), on whatever Vulkan driver the
 * machine has. With no GPU, Vulkan is pointed at Debian Chromium's SwiftShader
 * (../shared/docs/webgpu-without-a-gpu.md, Path 1). The package is loaded at run time, from
 * DAWN_WEBGPU_DIR when set (a copy of node_modules/webgpu, or a folder holding dawn.node), else
 * from node_modules: the bundle (tests/bench/bundle.mjs) leaves it out.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
/** Set in the child of a re-exec, so that it never re-executes again. */
const REEXEC_MARK = 'BENCH_VULKAN_REEXEC';

export interface Dawn {
  gpu: GPU;
  /** Where the binding was loaded from, for the report. */
  from: string;
  /** What this module did to the Vulkan environment, if anything. */
  notes: string[];
}

interface WebgpuModule {
  create: (flags: string[]) => GPU;
  globals: object;
}

function isWebgpuModule(m: unknown): m is WebgpuModule {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.create === 'function' && typeof r.globals === 'object' && r.globals !== null;
}

const TRIPLETS: Partial<Record<string, string>> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
};

/** Whether the dynamic loader can find libvulkan.so.1 (the Vulkan loader Dawn dlopens). */
function hasVulkanLoader(): boolean {
  const triplet = TRIPLETS[process.arch];
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean),
    ...(triplet ? [`/usr/lib/${triplet}`, `/lib/${triplet}`] : []),
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

/** Whether the machine shows a GPU device node (NVIDIA, or a DRM render node). */
function hasGpuDeviceNode(): boolean {
  try {
    if (readdirSync('/dev').some((f) => /^nvidia\d+$/.test(f))) return true;
    return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('render'));
  } catch {
    return false;
  }
}

/**
 * On Linux with no Vulkan loader on the library path but Chromium's copy present, runs this same
 * script again with that copy on LD_LIBRARY_PATH (the dynamic loader reads it only at start-up)
 * and resolves to the child's exit code. Resolves to null when no re-exec is needed.
 */
export async function reexecForVulkan(): Promise<number | null> {
  if (process.platform !== 'linux' || process.env[REEXEC_MARK]) return null;
  if (hasVulkanLoader() || !existsSync(join(CHROMIUM_DIR, 'libvulkan.so.1'))) return null;
  const env = {
    ...process.env,
    [REEXEC_MARK]: '1',
    LD_LIBRARY_PATH: [CHROMIUM_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(delimiter),
  };
  const args = [...process.execArgv, ...process.argv.slice(1)];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      done(code ?? (signal ? 128 : 1));
    });
  });
}

async function importWebgpu(): Promise<{ module: WebgpuModule; from: string }> {
  const dir = process.env.DAWN_WEBGPU_DIR;
  if (!dir) {
    const module: unknown = await import('webgpu');
    if (!isWebgpuModule(module)) throw new Error('the webgpu package exports no create()');
    return { module, from: 'node_modules/webgpu' };
  }
  const base = resolve(dir);
  const index = join(base, 'index.js');
  if (existsSync(index)) {
    const module: unknown = await import(pathToFileURL(index).href);
    if (isWebgpuModule(module)) return { module, from: index };
  }
  const require = createRequire(import.meta.url);
  const platformArch = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
  for (const file of [join(base, 'dist', platformArch, 'dawn.node'), join(base, 'dawn.node')]) {
    if (!existsSync(file)) continue;
    const module: unknown = require(file);
    if (isWebgpuModule(module)) return { module, from: file };
  }
  throw new Error(`DAWN_WEBGPU_DIR=${dir}: no index.js or dawn.node with create() there`);
}

/**
 * Loads Dawn and returns a GPU that has an adapter, trying SwiftShader when the machine's own
 * drivers offer none. Timestamps are not quantised, so short passes can be timed.
 */
export async function loadDawn(): Promise<Dawn> {
  const { module, from } = await importWebgpu();
  Object.assign(globalThis, module.globals);
  const flags = ['disable-dawn-features=timestamp_quantization'];
  const notes: string[] = [];
  if (process.env[REEXEC_MARK]) notes.push(`LD_LIBRARY_PATH starts with ${CHROMIUM_DIR}`);
  const canSwiftShader =
    process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD);
  const useSwiftShader = (): void => {
    // Read by the Vulkan loader when Dawn creates its instance, so setting it here is enough.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    notes.push(`VK_ICD_FILENAMES=${SWIFTSHADER_ICD}`);
  };
  if (canSwiftShader && !hasGpuDeviceNode()) {
    useSwiftShader();
    return { gpu: module.create(flags), from, notes };
  }
  const gpu = module.create(flags);
  if (!canSwiftShader || (await gpu.requestAdapter())) return { gpu, from, notes };
  useSwiftShader();
  return { gpu: module.create(flags), from, notes };
}
