//#include "lib/softmax.wgsl"
//#include "lib/workgroup.wgsl"
//#include "lib/labels.wgsl"

// The M stored points y_j (the including kernel binds them as `data: array<vec2f>`) stream
// through workgroup memory, WORKGROUP_SIZE at a time, so every invocation of a workgroup shares
// each load and the N x M matrix of logits never exists. The including kernel's
// `fn point_label(j: u32) -> u32` gives point j's class.
var<workgroup> tile: array<vec2f, WORKGROUP_SIZE>;
var<workgroup> tile_label: array<u32, WORKGROUP_SIZE>;

// The softmax over the M points of logit_j = -|q - a y_j|^2 inv, of the values y_j, or of
// a y_j - q with `relative` (differences, so a mean near q loses nothing). Every invocation of
// the workgroup calls it (it holds barriers), lanes past the end too. Only the points of class
// `label` take part (all of them with ALL_LABELS): the empirical denoiser over the class's points.
fn empirical_softmax(q: vec2f, a: f32, inv: f32, m: u32, lid: u32, relative: bool, label: u32) -> Softmax {
  var s = softmax_empty();
  for (var base = 0u; base < m; base += WORKGROUP_SIZE) {
    let j = base + lid;
    if (j < m) {
      tile[lid] = data[j];
      tile_label[lid] = point_label(j);
    }
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, m - base);
    for (var jj = 0u; jj < count; jj++) {
      if (!keeps(label, tile_label[jj])) {
        continue;
      }
      let y = tile[jj];
      let dv = q - a * y;
      s = softmax_add(s, -dot(dv, dv) * inv, select(y, -dv, relative));
    }
    workgroupBarrier();
  }
  return s;
}
