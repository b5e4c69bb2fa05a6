// The uniform of the GroupNorm kernels (learn/group_norm_*; Wu & He 2018, PyTorch nn.GroupNorm):
// `batch` samples of `channels` channels of `pixels` (H W) values, NCHW, in `groups` groups of
// channels / groups consecutive channels; gamma[channels] then beta[channels] at `offset` of the
// flat parameters (and of the gradients).
struct GroupNorm {
  batch: u32,
  channels: u32,
  groups: u32,
  pixels: u32,
  offset: u32,
  eps: f32,
}

// Each (sample n, group g)'s statistics, STATS floats from STATS (n G + g): the pivot p (the
// group's first input), shift = the mean of x - p, and r = 1 / sqrt(var + eps). The mean is
// p + shift left unevaluated, so that x - mean = (x - p) - shift keeps float32's digits when the
// mean is large against the spread.
const STATS = 3u;

// xhat = ((x - p) - shift) r, the same floats in the forward and the backward.
fn normalised(v: f32, s: vec3f) -> f32 {
  return ((v - s.x) - s.y) * s.z;
}
