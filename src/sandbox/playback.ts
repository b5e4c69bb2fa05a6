/**
 * Playback: the runs stepped frame by frame at the settings' speed, in lockstep by t, restarted
 * when they loop; and the checkpoints at which playback waits for a measurement, so that charts
 * follow the steps rather than the clock. The frame path never reads the GPU back and never
 * allocates.
 */
import type { SandboxState } from './state';

/** Frames to hold the finished state before a looping run restarts. */
const LOOP_HOLD_FRAMES = 75;
const STEPS_ENCODER: GPUCommandEncoderDescriptor = { label: 'steps' };
const RESET_ENCODER: GPUCommandEncoderDescriptor = { label: 'reset' };

interface Checkpoints {
  every: number;
  next: number;
  run: number;
}

export class Playback {
  private accumulator = 0;
  private hold = 0;
  private fps = 0;
  private lastFrame = 0;
  /** Reused so that submitting a frame's steps allocates no array. */
  private readonly submission: GPUCommandBuffer[] = [];
  /**
   * Measurements tied to steps, not to wall time: while set, playback holds the first run at
   * every `every`-th step (and its last) until measured() reports a measurement of it, so a run
   * gets its points however slow the GPU. null: playback never waits.
   */
  private checkpoints: Checkpoints | null = null;

  constructor(private readonly state: SandboxState) {}

  get fpsEstimate(): number {
    return this.fps;
  }

  play(): void {
    if (this.state.lanes.every((l) => l.done)) this.restart();
    this.state.playing = true;
  }

  /** One animation frame: steps if playing, then draws. Never reads the GPU back. */
  frame(now: number): void {
    const st = this.state;
    if (this.lastFrame) {
      const dt = Math.max(1e-3, (now - this.lastFrame) / 1000);
      this.fps = this.fps ? 0.95 * this.fps + 0.05 / dt : 1 / dt;
    }
    this.lastFrame = now;
    if (!st.lanes.length || st.rebuilding) return;
    st.learning?.frame(now);
    if (st.playing && !st.recording) this.advance();
    for (const lane of st.lanes) lane.view.render();
    st.events.frame?.();
  }

  private advance(): void {
    const st = this.state;
    if (st.lanes.every((l) => l.done)) {
      // The end is a checkpoint too: the loop waits for its measurement.
      if (this.awaitingMeasurement()) return;
      if (!st.current.loop) st.playing = false;
      else if (++this.hold >= LOOP_HOLD_FRAMES) this.restart();
      return;
    }
    this.accumulator += st.current.speed;
    let k = Math.floor(this.accumulator);
    const gate = this.gate();
    if (gate) k = Math.min(k, Math.max(0, gate.next - st.lanes[0]!.status().step));
    if (k < 1) return;
    this.accumulator -= k;
    this.submitSteps(k);
  }

  /** Playback waits for a measurement every `every` steps (see checkpoints); null: it never does. */
  measureEvery(every: number | null): void {
    if (every === null || !(every >= 1)) {
      this.checkpoints = null;
      return;
    }
    const step = this.state.lanes[0]?.status().step ?? 0;
    const run = this.state.generation;
    const same = this.checkpoints?.every === every && this.checkpoints.run === run;
    if (!same) this.checkpoints = { every, next: step, run };
  }

  /** A measurement of run `run` (PhysicsSample.run) at `step` is in: playback may pass it. */
  measured(run: number, step: number): void {
    const gate = this.gate();
    if (!gate || run !== gate.run) return;
    if (step >= gate.next) gate.next = (Math.floor(step / gate.every) + 1) * gate.every;
  }

  /** Whether playback is held at a checkpoint that no measurement has read yet. */
  awaitingMeasurement(): boolean {
    const gate = this.gate();
    const lane = this.state.lanes[0];
    if (!gate || !lane || !this.state.playing) return false;
    const { step, steps } = lane.status();
    return step >= Math.min(gate.next, steps);
  }

  /** The checkpoints, started afresh (at step 0) for a new run or a reset. */
  private gate(): Checkpoints | null {
    const gate = this.checkpoints;
    if (gate && gate.run !== this.state.generation)
      Object.assign(gate, { run: this.state.generation, next: 0 });
    return gate;
  }

  /**
   * k steps of the first run; the second runs until it is no noisier than the first (lockstep by
   * t), or on alone once the first has finished.
   */
  submitSteps(k: number): void {
    const st = this.state;
    const device = st.requireGpu().device;
    const [a, b] = st.lanes;
    if (!a) return;
    const encoder = device.createCommandEncoder(STEPS_ENCODER);
    const reverse = st.current.mode === 'reverse';
    a.encodeSteps(encoder, k);
    if (b) {
      if (a.done) b.encodeSteps(encoder, k);
      else {
        const t = a.sim.status().t;
        while (!b.done && (reverse ? b.sim.status().t > t : b.sim.status().t < t))
          b.encodeSteps(encoder, 1);
      }
    }
    for (const lane of st.lanes) lane.afterSteps(encoder);
    this.submission[0] = encoder.finish();
    device.queue.submit(this.submission);
  }

  /** Back to the start of the runs (same seed: same initial noise). */
  restart(): void {
    const st = this.state;
    const device = st.requireGpu().device;
    this.newRun();
    const encoder = device.createCommandEncoder(RESET_ENCODER);
    for (const lane of st.lanes) lane.restart(encoder);
    device.queue.submit([encoder.finish()]);
  }

  /** New runs for the settings as they are now. */
  startRuns(): void {
    const st = this.state;
    const device = st.requireGpu().device;
    const encoder = device.createCommandEncoder(RESET_ENCODER);
    st.lanes.forEach((lane, i) => lane.start(st.laneSettings(i), encoder));
    device.queue.submit([encoder.finish()]);
    this.newRun();
  }

  /** Holds playback where it is: the next frame steps from here. */
  holdHere(): void {
    this.hold = 0;
  }

  private newRun(): void {
    this.state.generation++;
    this.state.meter?.clear();
    this.hold = 0;
    this.accumulator = 0;
  }
}
