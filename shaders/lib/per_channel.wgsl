// The uniform of the per-channel add (learn/add_per_channel and its backward): `planes`
// (batch x channels) planes of `pixels` (H W) values, NCHW, and one value t[plane] each.
struct PerChannel {
  planes: u32,
  pixels: u32,
}
