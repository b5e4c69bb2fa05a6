/** The lanes' views as the page uses them: sizes, pan and zoom, and where the images are. */
import type { ImagePanelRect } from './lane';
import type { SandboxState } from './state';

export class Views {
  constructor(private readonly state: SandboxState) {}

  /** Where the image panels of lane i are, for their labels (null: not images). */
  imagePanels(lane = 0): ImagePanelRect[] | null {
    return this.state.lanes[lane]?.imagePanels() ?? null;
  }

  /** The image under a client point of lane i's canvas, or null. */
  pickImage(clientX: number, clientY: number, lane = 0): number | null {
    const canvas = this.state.canvases[lane];
    if (!canvas) return null;
    return (
      this.state.lanes[lane]?.pickImage(clientX, clientY, canvas.getBoundingClientRect()) ?? null
    );
  }

  /** The world point under a client position (for drawing). */
  toWorld(clientX: number, clientY: number): [number, number] {
    return this.state.lanes[0]?.view.toWorld(clientX, clientY) ?? [0, 0];
  }

  resize(): void {
    for (const lane of this.state.lanes) lane.view.resize();
  }

  resetView(): void {
    for (const lane of this.state.lanes) lane.view.resetView();
  }

  setPanZoom(enabled: boolean): void {
    for (const lane of this.state.lanes) lane.view.controls.enabled = enabled;
  }
}
