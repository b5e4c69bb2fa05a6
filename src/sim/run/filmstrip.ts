/**
 * The trajectory of one followed image as a GPU ring of K frames of d floats, filled by
 * copyBufferToBuffer from the batch (no readback, nothing allocated per record). Its state word
 * pair (head, frames) is copied on the GPU too, from a table made once at setup, so it lands in
 * the same command stream as the frame it describes: a view drawn after any submit sees a
 * consistent ring, whenever the encoder that recorded it is submitted.
 *
 * Each record also copies the whole batch into a history of K frames, so that an image followed
 * later (after the run ended, say) shows its trajectory at once: `follow` copies its frames from
 * the history into the ring. Without a history (a batch too big for one buffer), a newly followed
 * image's filmstrip starts empty and fills from its next record.
 *
 * Layouts (little-endian, 4-byte words):
 *   ring:  K x d f32, slot s at floats [s*d, (s+1)*d): an image as the batch stores it.
 *   state: 2 u32: head (the slot of the newest frame), frames (how many are recorded, <= K).
 *   history: K x batch x d f32, slot s at floats [s*batch*d, (s+1)*batch*d): the batch then.
 * Oldest to newest, frame t of `frames` lives in slot (head + 1 - frames + t) mod K.
 */
import { createBuffer } from '../../gpu/buffers';

/** Bytes per state (head, frames). */
const STATE_BYTES = 8;

export class Filmstrip {
  /** K x d floats; null before setup. */
  ring: GPUBuffer | null = null;
  /** (head, frames) as 2 u32, written on the GPU by record; null before setup. */
  state: GPUBuffer | null = null;
  /** K: frames the ring holds. */
  length = 0;
  /** Floats per frame. */
  d = 0;
  /** Records since the last reset. */
  private count = 0;
  /** The 2K states a ring can be in, as (head, frames) pairs: see record. */
  private table: GPUBuffer | null = null;
  private device: GPUDevice | null = null;
  private readonly zero = new Uint32Array(2);
  /** The batch at each slot's record; null when none is kept. */
  private history: GPUBuffer | null = null;
  /** Images per history slot (0: no history). */
  private batch = 0;

  /** (Re)allocates a ring of K frames of d floats, empty, with no history (see keepHistory). */
  setup(device: GPUDevice, d: number, K: number): void {
    if (!(d > 0 && K > 0)) throw new Error(`filmstrip: d = ${d}, K = ${K}`);
    this.destroy();
    this.device = device;
    this.d = d;
    this.length = K;
    this.count = 0;
    // Entry c - 1 for record c <= K: (c - 1, c); entry K + h once full: (h, K).
    const table = new Uint32Array(4 * K);
    for (let c = 1; c <= K; c++) table.set([c - 1, c], 2 * (c - 1));
    for (let h = 0; h < K; h++) table.set([h, K], 2 * (K + h));
    this.table = createBuffer(device, {
      label: 'filmstrip table',
      size: 0,
      usage: GPUBufferUsage.COPY_SRC,
      data: table,
    });
    this.ring = createBuffer(device, {
      label: 'filmstrip',
      size: 4 * K * d,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
    });
    this.state = createBuffer(device, {
      label: 'filmstrip state',
      size: STATE_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      data: this.zero,
    });
  }

  /**
   * Keeps the first `batch` images of each record from now on (a batch too big for one buffer
   * of the device keeps none), emptying the ring if the batch changed: call it as a run starts.
   */
  keepHistory(batch: number): void {
    const device = this.device;
    if (!device || batch === this.batch) return;
    this.history?.destroy();
    this.history = null;
    this.batch = 0;
    this.reset();
    const bytes = 4 * this.length * batch * this.d;
    if (batch > 0 && bytes <= device.limits.maxBufferSize) {
      this.batch = batch;
      this.history = createBuffer(device, {
        label: 'filmstrip history',
        size: bytes,
        usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
  }

  /** Whether a newly followed image gets its past frames (a history is kept). */
  get keepsHistory(): boolean {
    return this.history !== null;
  }

  /** Frames recorded since the last reset, at most K. */
  get frames(): number {
    return Math.min(this.count, this.length);
  }

  /** The slot of the newest frame (0 when empty). */
  get head(): number {
    return this.count ? (this.count - 1) % this.length : 0;
  }

  /**
   * Empties the ring (the frames stay in memory but are no longer shown). With an encoder the
   * state is cleared in its stream, else on the queue (before the next submit).
   */
  reset(encoder?: GPUCommandEncoder): void {
    this.count = 0;
    if (!this.state || !this.device) return;
    if (encoder) encoder.clearBuffer(this.state, 0, STATE_BYTES);
    else this.device.queue.writeBuffer(this.state, 0, this.zero);
  }

  /**
   * Appends image `index` of the batch `x` (n x d f32, COPY_SRC) as the newest frame, and the
   * batch to the history; `index` -1 (no image followed) records the history only.
   */
  record(encoder: GPUCommandEncoder, x: GPUBuffer, index: number, d: number): void {
    if (!this.ring || !this.state || !this.table) throw new Error('filmstrip: record before setup');
    if (d !== this.d) throw new Error(`filmstrip: d = ${d}, set up for ${this.d}`);
    const bytes = 4 * d;
    if (!Number.isInteger(index) || index < -1 || (index + 1) * bytes > x.size) {
      throw new Error(`filmstrip: image ${index} is outside ${x.label}`);
    }
    const K = this.length;
    const slot = this.count % K;
    if (this.history) {
      const batchBytes = this.batch * bytes;
      if (batchBytes > x.size)
        throw new Error(`filmstrip: ${x.label} holds fewer than ${this.batch} images`);
      encoder.copyBufferToBuffer(x, 0, this.history, slot * batchBytes, batchBytes);
    }
    if (index >= 0) encoder.copyBufferToBuffer(x, index * bytes, this.ring, slot * bytes, bytes);
    this.count++;
    const entry = this.count <= K ? this.count - 1 : K + slot;
    encoder.copyBufferToBuffer(this.table, entry * STATE_BYTES, this.state, 0, STATE_BYTES);
  }

  /**
   * Makes the ring image `index`'s trajectory: its recorded frames, copied from the history on
   * the queue (after what was submitted before), or with no history an empty ring. -1 (none
   * followed) keeps the history's frames for the next image followed.
   */
  follow(index: number): void {
    const { history, ring, device } = this;
    if (!history || !ring || !device) {
      this.reset();
      return;
    }
    if (index < 0 || this.frames === 0) return;
    if (!Number.isInteger(index) || index >= this.batch)
      throw new Error(`filmstrip: image ${index} is outside the batch of ${this.batch}`);
    const bytes = 4 * this.d;
    const encoder = device.createCommandEncoder({ label: 'filmstrip follow' });
    for (let slot = 0; slot < this.frames; slot++) {
      const from = (slot * this.batch + index) * bytes;
      encoder.copyBufferToBuffer(history, from, ring, slot * bytes, bytes);
    }
    device.queue.submit([encoder.finish()]);
  }

  destroy(): void {
    this.ring?.destroy();
    this.state?.destroy();
    this.table?.destroy();
    this.history?.destroy();
    this.ring = this.state = this.table = this.history = null;
    this.count = 0;
    this.batch = 0;
  }
}
