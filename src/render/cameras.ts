/**
 * The view's cameras and their controls: 2D, an orthographic camera with pan and zoom (to the
 * cursor); 3D, a perspective camera orbiting the landscape, z up, off until the 3D view is on.
 */
import * as THREE from 'three/webgpu';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

/** Where the 3D camera starts: looking down on the landscape from the front, z up. */
const CAMERA_3D = new THREE.Vector3(0, -6.2, 5.4);
const TARGET_3D = new THREE.Vector3(0, 0, 0.4);
export const FOV_3D = 45;

export interface Cameras {
  camera: THREE.OrthographicCamera;
  controls2d: OrbitControls;
  camera3d: THREE.PerspectiveCamera;
  controls3d: OrbitControls;
}

export function makeCameras(canvas: HTMLCanvasElement): Cameras {
  const camera = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
  camera.position.set(0, 0, 5);
  const controls2d = new OrbitControls(camera, canvas);
  controls2d.enableRotate = false;
  controls2d.screenSpacePanning = true;
  controls2d.zoomToCursor = true;
  controls2d.minZoom = 0.02;
  controls2d.maxZoom = 200;
  controls2d.mouseButtons = {
    LEFT: THREE.MOUSE.PAN,
    MIDDLE: THREE.MOUSE.DOLLY,
    RIGHT: THREE.MOUSE.PAN,
  };
  controls2d.touches = { ONE: THREE.TOUCH.PAN, TWO: THREE.TOUCH.DOLLY_PAN };
  // Its own controls: OrbitControls fixes the camera's up (z here) when made.
  const camera3d = new THREE.PerspectiveCamera(FOV_3D, 1, 0.05, 100);
  camera3d.up.set(0, 0, 1);
  camera3d.position.copy(CAMERA_3D);
  camera3d.lookAt(TARGET_3D);
  const controls3d = new OrbitControls(camera3d, canvas);
  controls3d.target.copy(TARGET_3D);
  controls3d.minDistance = 0.5;
  controls3d.maxDistance = 40;
  controls3d.enableDamping = false;
  controls3d.update();
  controls3d.saveState();
  controls3d.enabled = false;
  return { camera, controls2d, camera3d, controls3d };
}

interface Side {
  camera: THREE.OrthographicCamera | THREE.PerspectiveCamera;
  controls: OrbitControls;
}

/** Copies one camera's pose, zoom and orbit target into another's. */
function copyCamera(from: Side, to: Side): void {
  to.camera.position.copy(from.camera.position);
  to.camera.quaternion.copy(from.camera.quaternion);
  to.camera.up.copy(from.camera.up);
  to.controls.target.copy(from.controls.target);
  if (to.camera.zoom !== from.camera.zoom) {
    to.camera.zoom = from.camera.zoom;
    to.camera.updateProjectionMatrix();
  }
}

/**
 * Makes two views' cameras one: a pan, zoom or orbit in either (its controls' 'change') is
 * copied into the other, 2D and 3D alike, and `b` starts where `a` is. The copy does not run
 * the other's controls, so it fires no 'change' back. Returns the unlink.
 */
export function linkCameras(a: Cameras, b: Cameras): () => void {
  const pairs = [
    [a.camera, a.controls2d, b.camera, b.controls2d],
    [a.camera3d, a.controls3d, b.camera3d, b.controls3d],
  ] as const;
  const unlinks: (() => void)[] = [];
  for (const [cameraA, controlsA, cameraB, controlsB] of pairs) {
    const sideA = { camera: cameraA, controls: controlsA };
    const sideB = { camera: cameraB, controls: controlsB };
    const toB = (): void => copyCamera(sideA, sideB);
    const toA = (): void => copyCamera(sideB, sideA);
    controlsA.addEventListener('change', toB);
    controlsB.addEventListener('change', toA);
    unlinks.push(() => {
      controlsA.removeEventListener('change', toB);
      controlsB.removeEventListener('change', toA);
    });
    toB();
  }
  return () => {
    for (const unlink of unlinks.splice(0)) unlink();
  };
}
