/** Every WGSL file under shaders/, bundled as text by Vite (in the app and in browser tests). */
import type { ShaderSources } from './kernel';

const files = import.meta.glob<string>('../../shaders/**/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
});

export const shaderSources: ShaderSources = Object.fromEntries(
  Object.entries(files).map(([path, code]) => [path.replace(/^.*\/shaders\//, ''), code]),
);
