/**
 * How tests launch Chromium: Debian's build, with the flags that give headless Chromium a real
 * WebGPU adapter on SwiftShader whose canvas is visible to screenshots and canvas capture
 * (../shared/docs/webgpu-without-a-gpu.md). Without --enable-unsafe-webgpu there is no adapter:
 * that is how the no-WebGPU page is tested.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];
