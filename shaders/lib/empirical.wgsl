//#include "lib/softmax.wgsl"
//#include "lib/workgroup.wgsl"

// The M stored points y_j (the including kernel binds them as `data: array<vec2f>`) stream
// through workgroup memory, WORKGROUP_SIZE at a time, so every invocation of a workgroup shares
// each load and the N x M matrix of logits never exists.
var<workgroup> tile: array<vec2f, WORKGROUP_SIZE>;

// The softmax over the M points of logit_j = -|q - a y_j|^2 inv, of the values y_j, or of
// a y_j - q with `relative` (differences, so a mean near q loses nothing). Every invocation of
// the workgroup calls it (it holds barriers), lanes past the end too.
fn empirical_softmax(q: vec2f, a: f32, inv: f32, m: u32, lid: u32, relative: bool) -> Softmax {
  var s = softmax_empty();
  for (var base = 0u; base < m; base += WORKGROUP_SIZE) {
    let j = base + lid;
    if (j < m) {
      tile[lid] = data[j];
    }
    workgroupBarrier();
    let count = min(WORKGROUP_SIZE, m - base);
    for (var jj = 0u; jj < count; jj++) {
      let y = tile[jj];
      let dv = q - a * y;
      s = softmax_add(s, -dot(dv, dv) * inv, select(y, -dv, relative));
    }
    workgroupBarrier();
  }
  return s;
}
