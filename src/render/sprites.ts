/**
 * A cloud of soft additive sprites drawn straight from a storage buffer of vec2 positions (no CPU
 * copy): the particles, or the dataset behind them. In 3D, on the landscape: particles at their
 * own energy's height, the data on the surface.
 */
import * as THREE from 'three/webgpu';
import { float, instanceIndex, smoothstep, storage, uv, vec3, vec4 } from 'three/tsl';
import { adoptBuffer } from './adoptBuffer';
import type { Landscape } from './landscape';

export interface Cloud {
  sprite: THREE.Sprite;
  attribute: THREE.StorageInstancedBufferAttribute;
  material: THREE.SpriteNodeMaterial;
  buffer: GPUBuffer;
}

export interface CloudLook {
  color: THREE.Color;
  /** The sprite's diameter in world units. */
  size: THREE.Node<'float'>;
  alpha: THREE.Node<'float'>;
  /** Drawn after the clouds of lower order. */
  order: number;
  /** Energy per sprite (array<f32>), for its height in 3D; null: on the surface. */
  energy: THREE.StorageInstancedBufferAttribute | null;
}

export function makeCloud(
  renderer: THREE.WebGPURenderer,
  landscape: Landscape,
  buffer: GPUBuffer,
  count: number,
  look: CloudLook,
): Cloud {
  const attribute = new THREE.StorageInstancedBufferAttribute(new Float32Array(2 * count), 2);
  adoptBuffer(renderer, attribute, buffer);
  const position = storage(attribute, 'vec2', count).toReadOnly().element(instanceIndex);
  const material = new THREE.SpriteNodeMaterial();
  let z: THREE.Node<'float'> = float(0);
  if (landscape.ready) {
    z = look.energy
      ? landscape.height(storage(look.energy, 'float', count).toReadOnly().element(instanceIndex))
      : landscape.heightAt(position);
    z = z.add(landscape.heightScale.mul(0.01));
  }
  material.positionNode = vec3(position.x, position.y, z);
  material.scaleNode = look.size;
  // A soft disc: full at the centre, fading to zero at the rim.
  const r = uv().sub(0.5).length().mul(2);
  const falloff = smoothstep(float(1), float(0), r);
  const { r: red, g, b } = look.color;
  material.colorNode = vec4(vec3(red, g, b).mul(falloff.mul(look.alpha)), 1);
  material.blending = THREE.AdditiveBlending;
  material.transparent = true;
  material.depthWrite = false;
  material.depthTest = false;
  const sprite = new THREE.Sprite(material);
  sprite.count = count;
  sprite.frustumCulled = false;
  sprite.renderOrder = look.order;
  return { sprite, attribute, material, buffer };
}
