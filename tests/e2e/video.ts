/**
 * Reading clips back, independently of the app: mediabunny's demuxer in Node for the container
 * (frames, timestamps, size), and the browser's own WebCodecs VideoDecoder to look at frames.
 */
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import type { Page } from 'playwright-core';

export interface ClipInfo {
  format: string;
  codec: string | null;
  width: number;
  height: number;
  duration: number;
  frameRate: number;
  timestamps: number[];
  packets: { data: number[]; type: 'key' | 'delta'; timestamp: number }[];
  decoderConfig: {
    codec: string;
    codedWidth?: number;
    codedHeight?: number;
    description?: number[];
  } | null;
}

export async function readClip(bytes: Uint8Array): Promise<ClipInfo> {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const track = await input.getPrimaryVideoTrack();
  if (!track) throw new Error('no video track');
  const stats = await track.computePacketStats();
  const packets: ClipInfo['packets'] = [];
  for await (const p of new EncodedPacketSink(track).packets()) {
    packets.push({ data: Array.from(p.data), type: p.type, timestamp: p.timestamp });
  }
  const config = await track.getDecoderConfig();
  const description = config?.description;
  return {
    format: (await input.getFormat()).name,
    codec: await track.getCodec(),
    width: await track.getDisplayWidth(),
    height: await track.getDisplayHeight(),
    duration: await input.computeDuration(),
    frameRate: stats.averagePacketRate,
    timestamps: packets.map((p) => p.timestamp),
    packets,
    decoderConfig: config
      ? {
          codec: config.codec,
          ...(config.codedWidth !== undefined ? { codedWidth: config.codedWidth } : {}),
          ...(config.codedHeight !== undefined ? { codedHeight: config.codedHeight } : {}),
          ...(description
            ? {
                description: Array.from(
                  ArrayBuffer.isView(description)
                    ? new Uint8Array(
                        description.buffer,
                        description.byteOffset,
                        description.byteLength,
                      )
                    : new Uint8Array(description),
                ),
              }
            : {}),
        }
      : null,
  };
}

/**
 * Decodes every frame in the page with WebCodecs and returns, for the first and the last frame,
 * the mean of |difference| over RGB and the mean brightness of each.
 */
export async function compareFirstAndLast(
  page: Page,
  clip: ClipInfo,
): Promise<{ difference: number; first: number; last: number; decoded: number }> {
  return page.evaluate(
    async ({ packets, config }) => {
      const frames: ImageData[] = [];
      const canvas = new OffscreenCanvas(16, 16);
      const ctx = canvas.getContext('2d')!;
      const decoder = new VideoDecoder({
        output: (frame) => {
          canvas.width = frame.displayWidth;
          canvas.height = frame.displayHeight;
          ctx.drawImage(frame, 0, 0);
          frames.push(ctx.getImageData(0, 0, canvas.width, canvas.height));
          frame.close();
        },
        error: (e) => {
          throw e;
        },
      });
      const { description, ...rest } = config!;
      decoder.configure(description ? { ...rest, description: new Uint8Array(description) } : rest);
      packets.forEach((p) => {
        decoder.decode(
          new EncodedVideoChunk({
            type: p.type,
            timestamp: Math.round(p.timestamp * 1e6),
            data: new Uint8Array(p.data),
          }),
        );
      });
      await decoder.flush();
      const mean = (img: ImageData): number => {
        let s = 0;
        for (let i = 0; i < img.data.length; i += 4)
          s += img.data[i]! + img.data[i + 1]! + img.data[i + 2]!;
        return s / ((img.data.length / 4) * 3);
      };
      const first = frames[0]!;
      const last = frames[frames.length - 1]!;
      let diff = 0;
      for (let i = 0; i < first.data.length; i += 4) {
        for (let c = 0; c < 3; c++) diff += Math.abs(first.data[i + c]! - last.data[i + c]!);
      }
      return {
        difference: diff / ((first.data.length / 4) * 3),
        first: mean(first),
        last: mean(last),
        decoded: frames.length,
      };
    },
    { packets: clip.packets, config: clip.decoderConfig },
  );
}
