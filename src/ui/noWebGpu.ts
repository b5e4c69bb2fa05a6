/** What a browser without WebGPU shows instead of a blank canvas. */
export function showNoWebGpu(parent: HTMLElement, reason: string): void {
  const panel = document.createElement('div');
  panel.className = 'no-webgpu';
  panel.innerHTML = `
    <h1>This sandbox needs WebGPU</h1>
    <p class="reason"></p>
    <p>It runs its diffusion kernels as WebGPU compute shaders, so it needs a browser with WebGPU
    turned on and a GPU it can use:</p>
    <ul>
      <li><b>Chrome or Edge 113+</b> on Windows, macOS and ChromeOS (on by default); Chrome 121+ on Android 12+.</li>
      <li><b>Chrome on Linux</b>: open <code>chrome://flags/#enable-unsafe-webgpu</code>, enable it, and
      also enable <code>chrome://flags/#enable-vulkan</code>, then restart.</li>
      <li><b>Safari 26+</b> on macOS, iOS and iPadOS.</li>
      <li><b>Firefox 141+</b> on Windows (other platforms: set <code>dom.webgpu.enabled</code> in <code>about:config</code>).</li>
    </ul>
    <p>If your browser is one of these, check that hardware acceleration is on
    (<code>chrome://settings/system</code>) and look at <code>chrome://gpu</code> for WebGPU's status.</p>`;
  panel.querySelector('.reason')!.textContent = reason;
  parent.appendChild(panel);
}
